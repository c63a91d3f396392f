#include<bits/stdc++.h>
using namespace std;
using ll = long long;
const ll MOD = 1000000007;

int N, K;

ll ways(int n){
    if(n == 0) return 1;
    ll res = 0;
    for(int j = 1; j <= K && j <= n; ++j){
        res += ways(n - j);
        res %= MOD;
    }
    return res;
}

int main(){
    cin >> N >> K;
    cout << ways(N) << '\n';
    return 0;
}
