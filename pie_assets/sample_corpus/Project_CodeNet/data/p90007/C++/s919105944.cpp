#include<bits/stdc++.h>
using namespace std;

int main(){
	int h,w;
	cin>>h>>w;
	vector<vector<int> > a(h,vector<int>(w));
	for(int i=0;i<h;i++){
		for(int j=0;j<w;j++){
			char c;
			cin>>c;
			a[i][j]=c-'0';
		}
	}
	int q;
	cin>>q;
	while(q--){
		int y1,x1,y2,x2;
		cin>>y1>>x1>>y2>>x2;
		long long s=0;
		for(int i=y1-1;i<y2;i++)for(int j=x1-1;j<x2;j++)s+=a[i][j];
		cout<<s<<endl;
	}
	return 0;
}
