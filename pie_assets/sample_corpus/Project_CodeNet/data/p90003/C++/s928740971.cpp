#include<bits/stdc++.h>
using namespace std;
typedef long long ll;
#define rep(i,n) for(int i=0;i<(int)(n);i++)
const ll mod=1000000007;

int main(){
  int n,k;cin>>n>>k;
  vector<ll> dp(n+1);
  dp[0]=1;
  for(int i=1;i<=n;i++){
    rep(j,k){
      int from=i-1-j;
      if(from<0)break;
      dp[i]+=dp[from];
    }
    dp[i]%=mod;
  }
  cout<<dp[n]<<endl;
}
