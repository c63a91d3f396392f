#include<iostream>
#include<map>
using namespace std;
int main(){
    int n;cin>>n;
    map<int,int> cnt;
    for(int i=0;i<n;i++){int a;cin>>a;cnt[a]++;}
    cout<<cnt.size()<<endl;
    return 0;
}
