#include <bits/stdc++.h>
using namespace std;
#define MOD 1000000007

long long dp[1000001];

int main() {
    int n, k;
    cin >> n >> k;
    dp[0] = 1;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= k; j++)
            if (i - j >= 0) dp[i] = (dp[i] + dp[i - j]) % MOD;
    cout << dp[n] << endl;
}
