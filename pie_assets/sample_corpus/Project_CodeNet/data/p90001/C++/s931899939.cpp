#include <iostream>
#include <algorithm>
using namespace std;

int a[3005];

int main() {
    int n, k;
    cin >> n >> k;
    for (int i = 0; i < n; i++) cin >> a[i];
    sort(a, a + n);
    long long ans = 0;
    for (int i = 0; i < n; i++) {
        // number of j > i with a[j] <= k - a[i]
        ans += upper_bound(a + i + 1, a + n, k - a[i]) - (a + i + 1);
    }
    cout << ans << endl;
    return 0;
}
