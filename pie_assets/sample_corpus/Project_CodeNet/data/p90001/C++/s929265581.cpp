#include <iostream>
using namespace std;

int a[3005];

int main() {
    int n, k;
    cin >> n >> k;
    for (int i = 0; i < n; i++) cin >> a[i];
    long long ans = 0;
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            if (a[i] + a[j] <= k) ans++;
        }
    }
    cout << ans << endl;
    return 0;
}
