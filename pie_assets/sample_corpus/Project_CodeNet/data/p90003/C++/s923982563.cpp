#include<bits/stdc++.h>
using namespace std;
typedef long long ll;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
const ll mod=1000000007;

int main(){
  int n,k;cin>>n>>k;
  vector<ll> dp(n+1),sum(n+2);
  dp[0]=1;sum[1]=1;
  for(int i=1;i<=n;i++){
    dp[i]=(sum[i]-sum[max(0,i-k)]+mod)%mod;
    sum[i+1]=(sum[i]+dp[i])%mod;
  }
  cout<<dp[n]<<endl;
}
