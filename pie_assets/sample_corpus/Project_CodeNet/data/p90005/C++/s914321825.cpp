#include<iostream>
#include<vector>
using namespace std;
int main(){
    ios::sync_with_stdio(false);cin.tie(0);
    int n;cin>>n;
    vector<bool> used(1000001,false);
    int ans=0;
    for(int i=0;i<n;i++){int a;cin>>a;if(!used[a]){used[a]=true;ans++;}}
    cout<<ans<<endl;
    return 0;
}
