import bisect

n, k = map(int, input().split())
a = sorted(map(int, input().split()))
ans = 0
for i in range(n):
    ans += bisect.bisect_right(a, k - a[i], i + 1) - (i + 1)
print(ans)
