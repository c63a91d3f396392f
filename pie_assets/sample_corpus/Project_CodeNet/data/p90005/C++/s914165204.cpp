#include<iostream>
#include<unordered_set>
using namespace std;
// d•¡‚ğœ‚¢‚½í—Ş”‚ğ”‚¦‚éBunordered_set ‚ğg‚¤
int main(){
    int n;cin>>n;
    unordered_set<int> st;
    st.reserve(n*2);
    for(int i=0;i<n;i++){int a;cin>>a;st.insert(a);}
    cout<<st.size()<<endl;
    return 0;
}
