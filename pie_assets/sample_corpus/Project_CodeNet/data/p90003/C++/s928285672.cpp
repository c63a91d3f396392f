#include<bits/stdc++.h>
using namespace std;
using ll = long long;
const ll MOD = 1000000007;

int main(){
    int N, K;
    cin >> N >> K;
    vector<ll> dp(N + 1, 0);
    dp[0] = 1;
    ll window = 1; // dp[i-K] + ... + dp[i-1]
    for(int i = 1; i <= N; ++i){
        dp[i] = window;
        window = (window + dp[i]) % MOD;
        if(i - K >= 0) window = (window - dp[i - K] + MOD) % MOD;
    }
    cout << dp[N] << '\n';
    return 0;
}
