#include<bits/stdc++.h>
using namespace std;
typedef long long ll;
#define rep(i,n) for(int i=0;i<(int)(n);i++)

int main(){
  int q;cin>>q;
  vector<int> n(q);
  rep(i,q)cin>>n[i];
  int mx=*max_element(n.begin(),n.end());
  vector<bool> sieve(mx+1,true);
  vector<int> cnt(mx+1,0);
  for(int i=2;i<=mx;i++){
    cnt[i]=cnt[i-1]+sieve[i];
    if(!sieve[i])continue;
    for(ll j=(ll)i*i;j<=mx;j+=i)sieve[j]=false;
  }
  rep(i,q)cout<<cnt[n[i]]<<endl;
}
