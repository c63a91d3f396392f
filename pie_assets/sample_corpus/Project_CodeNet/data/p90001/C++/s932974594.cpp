#include <bits/stdc++.h>
using namespace std;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
typedef long long ll;

int main(){
  int n; ll k;
  cin>>n>>k;
  vector<ll> a(n);
  rep(i,n) cin>>a[i];
  sort(a.begin(),a.end());
  ll cnt=0;
  int r=n-1;
  rep(l,n){
    while(r>l && a[l]+a[r]>k) r--;
    if(r<=l) break;
    cnt+=r-l;
  }
  cout<<cnt<<endl;
}
