#include <bits/stdc++.h>
using namespace std;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
typedef long long ll;

int main(){
  int n; ll k;
  cin>>n>>k;
  vector<ll> a(n);
  rep(i,n) cin>>a[i];
  vector<string> used;
  rep(i,n) rep(j,n){
    if(i==j) continue;
    if(a[i]+a[j]<=k){
      string key=to_string(min(i,j))+","+to_string(max(i,j));
      if(find(used.begin(),used.end(),key)==used.end()) used.push_back(key);
    }
  }
  cout<<used.size()<<endl;
}
