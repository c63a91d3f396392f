#include <bits/stdc++.h>
using namespace std;

long long pre[1000001];

int main() {
    for (int i = 1; i <= 1000000; i++) {
        pre[i] = pre[i - 1];
        if (i % 3 == 0 || i % 5 == 0) {
            pre[i] += i;
            cout << i << "\n";  // debug
        }
    }
    int q;
    cin >> q;
    while (q--) {
        int n;
        cin >> n;
        cout << pre[n] << "\n";
    }
}
