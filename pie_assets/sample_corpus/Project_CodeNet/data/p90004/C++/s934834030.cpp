#include<bits/stdc++.h>
using namespace std;

int main(){
	int q;
	cin>>q;
	for(int t=0;t<q;t++){
		long long n;
		cin>>n;
		long long a=n/3,b=n/5,c=n/15;
		cout<<3*a*(a+1)/2+5*b*(b+1)/2-15*c*(c+1)/2<<endl;
	}
	return 0;
}
