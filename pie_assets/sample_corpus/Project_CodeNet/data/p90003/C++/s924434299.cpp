#include<bits/stdc++.h>
using namespace std;
using ll = long long;
const ll MOD = 1000000007;

int N, K;
vector<ll> memo;

ll ways(int n){
    if(n == 0) return 1;
    if(memo[n] >= 0) return memo[n];
    ll res = 0;
    for(int j = 1; j <= K && j <= n; ++j){
        res += ways(n - j);
        res %= MOD;
    }
    return memo[n] = res;
}

int main(){
    cin >> N >> K;
    memo.assign(N + 1, -1);
    cout << ways(N) << '\n';
    return 0;
}
