#include<bits/stdc++.h>
using namespace std;
typedef long long ll;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
const ll mod=1000000007;

int main(){
  int n,k;scanf("%d%d",&n,&k);
  vector<ll> dp(n+1);
  dp[0]=1;
  ll w=1;
  for(int i=1;i<=n;i++){
    dp[i]=w;
    w+=dp[i];
    if(i>=k)w+=mod-dp[i-k];
    w%=mod;
  }
  printf("%lld\n",dp[n]);
}
