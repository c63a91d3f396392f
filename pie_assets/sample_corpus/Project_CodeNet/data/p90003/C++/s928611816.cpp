#include <bits/stdc++.h>
using namespace std;
#define MOD 1000000007

int dp[1000001];

int main() {
    int n, k;
    cin >> n >> k;
    dp[0] = 1;
    long long sum = 1;  // dp[i-k..i-1]
    for (int i = 1; i <= n; i++) {
        dp[i] = sum;
        sum += dp[i];
        if (i >= k) sum -= dp[i - k];
        sum %= MOD;
        if (sum < 0) sum += MOD;
    }
    cout << dp[n] << endl;
}
