#include<bits/stdc++.h>
using namespace std;

int a[300*300];
char buf[305];

int main(){
	int h,w;
	scanf("%d%d",&h,&w);
	for(int i=0;i<h;i++){
		scanf("%s",buf);
		for(int j=0;j<w;j++)a[i*w+j]=buf[j]-'0';
	}
	int q;
	scanf("%d",&q);
	while(q--){
		int y1,x1,y2,x2;
		scanf("%d%d%d%d",&y1,&x1,&y2,&x2);
		long long s=0;
		for(int i=y1-1;i<y2;i++){
			const int *p=a+i*w;
			for(int j=x1-1;j<x2;j++)s+=p[j];
		}
		printf("%lld\n",s);
	}
	return 0;
}
