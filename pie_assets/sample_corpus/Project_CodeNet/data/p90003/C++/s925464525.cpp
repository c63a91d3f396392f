#include<bits/stdc++.h>
using namespace std;
using ll = long long;
const ll MOD = 1000000007;

int main(){
    int N, K;
    cin >> N >> K;
    vector<ll> dp(N + 1, 0);
    dp[0] = 1;
    for(int i = 1; i <= N; ++i){
        for(int j = 1; j <= K && j <= i; ++j){
            dp[i] += dp[i - j];
            dp[i] %= MOD;
        }
    }
    cout << dp[N] << '\n';
    return 0;
}
