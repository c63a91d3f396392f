#include<bits/stdc++.h>
using namespace std;
using ll = long long;

int main(){
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int N; ll K;
    cin >> N >> K;
    vector<ll> A(N);
    for(auto &x : A) cin >> x;
    sort(A.begin(), A.end());
    ll res = 0;
    for(int i = 0; i < N; ++i){
        // largest j with A[i] + A[j] <= K
        int lo = i, hi = N;
        while(hi - lo > 1){
            int mid = (lo + hi) / 2;
            if(A[i] + A[mid] <= K) lo = mid;
            else hi = mid;
        }
        res += lo - i;
    }
    cout << res << '\n';
    return 0;
}
