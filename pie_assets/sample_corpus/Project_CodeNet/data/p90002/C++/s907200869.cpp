#include <iostream>
#include <vector>
using namespace std;

int main() {
    int n, q;
    cin >> n >> q;
    vector<long long> a(n);
    for (int i = 0; i < n; i++) cin >> a[i];
    while (q--) {
        int l, r;
        cin >> l >> r;
        long long ans = 0;
        for (int i = l - 1; i < r; i++) ans += a[i];
        cout << ans << "\n";
    }
    return 0;
}
