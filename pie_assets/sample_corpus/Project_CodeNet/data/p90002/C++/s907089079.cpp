#include<bits/stdc++.h>
using namespace std;

long long s[10010];

int main(){
	ios::sync_with_stdio(false);
	cin.tie(0);
	int n,q;
	cin>>n>>q;
	for(int i=1;i<=n;i++){
		long long x;
		cin>>x;
		s[i]=s[i-1]+x;
	}
	while(q--){
		int l,r;
		cin>>l>>r;
		cout<<s[r]-s[l-1]<<'\n';
	}
	return 0;
}
