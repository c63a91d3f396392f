#include<bits/stdc++.h>
using namespace std;

int main(){
	int q;
	cin>>q;
	for(int t=0;t<q;t++){
		long long n;
		cin>>n;
		long long ans=0;
		for(long long i=1;i<=n;i++){
			if(i%3==0) ans+=i;
			else if(i%5==0) ans+=i;
		}
		cout<<ans<<endl;
	}
	return 0;
}
