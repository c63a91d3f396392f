#include <iostream>
#include <vector>
using namespace std;

int main() {
    int n, q;
    cin >> n >> q;
    vector<long long> sum(n + 1, 0);
    for (int i = 0; i < n; i++) {
        long long x;
        cin >> x;
        sum[i + 1] = sum[i] + x;
    }
    while (q--) {
        int l, r;
        cin >> l >> r;
        cout << sum[r] - sum[l - 1] << "\n";
    }
    return 0;
}
