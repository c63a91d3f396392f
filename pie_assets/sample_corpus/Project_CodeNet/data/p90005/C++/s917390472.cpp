#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    set<long long> S;
    for (int i = 0; i < n; i++) {
        long long a;
        cin >> a;
        S.insert(a);
    }
    cout << S.size() << "\n";
}
