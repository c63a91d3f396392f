#include <bits/stdc++.h>
using namespace std;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
typedef long long ll;

int main(){
  int n; ll k;
  cin>>n>>k;
  vector<ll> a(n);
  rep(i,n) cin>>a[i];
  set<pair<int,int>> used;
  rep(i,n) rep(j,n){
    if(i==j) continue;
    if(a[i]+a[j]<=k){
      used.insert(make_pair(min(i,j),max(i,j)));
    }
  }
  cout<<used.size()<<endl;
}
