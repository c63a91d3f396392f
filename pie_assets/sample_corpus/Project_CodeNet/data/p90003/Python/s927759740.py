MOD = 10**9 + 7
n, k = map(int, input().split())
dp = [0] * (n + 1)
dp[0] = 1
s = 1
for i in range(1, n + 1):
    dp[i] = s
    s += dp[i]
    if i >= k:
        s -= dp[i - k]
    s %= MOD
print(dp[n])
