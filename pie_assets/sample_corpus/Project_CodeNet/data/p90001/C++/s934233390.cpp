#include<bits/stdc++.h>
using namespace std;
using ll = long long;

// 二分探索をやめて全ペアを数える（N <= 3000 なので間に合う）
int main(){
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int N; ll K;
    cin >> N >> K;
    vector<ll> A(N);
    for(auto &x : A) cin >> x;
    ll res = 0;
    for(int i = 0; i < N; ++i){
        for(int j = 0; j < i; ++j){
            res += (A[i] + A[j] <= K);
        }
    }
    cout << res << '\n';
    return 0;
}
