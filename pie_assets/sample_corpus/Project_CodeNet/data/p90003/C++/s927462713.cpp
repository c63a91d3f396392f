#include <bits/stdc++.h>
using namespace std;
#define MOD 1000000007

int dp[1000001];

int main() {
    int n, k;
    cin >> n >> k;
    dp[0] = 1;
    for (int i = 1; i <= n; i++) {
        int lim = min(i, k);
        for (int j = 1; j <= lim; j++) {
            dp[i] += dp[i - j];
            if (dp[i] >= MOD) dp[i] -= MOD;
        }
    }
    cout << dp[n] << endl;
}
