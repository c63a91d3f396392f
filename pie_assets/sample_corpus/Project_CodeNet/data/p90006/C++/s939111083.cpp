#include<bits/stdc++.h>
using namespace std;
typedef long long ll;
#define rep(i,n) for(int i=0;i<(int)(n);i++)

int main(){
  int q;cin>>q;
  vector<int> n(q);
  rep(i,q)cin>>n[i];
  int mx=*max_element(n.begin(),n.end());
  vector<int> primes,cnt(mx+1,0);
  for(int x=2;x<=mx;x++){
    bool ok=true;
    for(int p:primes){
      if((ll)p*p>x)break;
      if(x%p==0){ok=false;break;}
    }
    if(ok)primes.push_back(x);
    cnt[x]=primes.size();
  }
  rep(i,q)cout<<cnt[n[i]]<<endl;
}
