#include<bits/stdc++.h>
using namespace std;

int S[301][301];
char buf[305];

int main(){
	int h,w;
	scanf("%d%d",&h,&w);
	for(int i=1;i<=h;i++){
		scanf("%s",buf);
		for(int j=1;j<=w;j++)S[i][j]=S[i-1][j]+S[i][j-1]-S[i-1][j-1]+(buf[j-1]-'0');
	}
	int q;
	scanf("%d",&q);
	while(q--){
		int y1,x1,y2,x2;
		scanf("%d%d%d%d",&y1,&x1,&y2,&x2);
		printf("%d\n",S[y2][x2]-S[y1-1][x2]-S[y2][x1-1]+S[y1-1][x1-1]);
	}
	return 0;
}
