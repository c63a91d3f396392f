#include<bits/stdc++.h>
using namespace std;

int s[10010];

int main(){
	int n,q;
	cin>>n>>q;
	for(int i=1;i<=n;i++){
		int x;
		cin>>x;
		s[i]=s[i-1]+x;
	}
	while(q--){
		int l,r;
		cin>>l>>r;
		cout<<s[r]-s[l-1]<<endl;
	}
	return 0;
}
