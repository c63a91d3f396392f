#include <bits/stdc++.h>
using namespace std;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
typedef long long ll;

int main(){
  int n; ll k;
  cin>>n>>k;
  vector<ll> a(n);
  rep(i,n) cin>>a[i];
  ll cnt=0;
  rep(i,n) for(int j=i+1;j<n;j++){
    if(a[i]+a[j]<=k) cnt++;
  }
  cout<<cnt<<endl;
}
