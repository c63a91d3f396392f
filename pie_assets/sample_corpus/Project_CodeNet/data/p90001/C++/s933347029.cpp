#include <cstdio>
#include <algorithm>
using namespace std;

int a[3005];

int main() {
    int n, k;
    scanf("%d %d", &n, &k);
    for (int i = 0; i < n; i++) scanf("%d", &a[i]);
    sort(a, a + n);
    long long ans = 0;
    int r = n - 1;
    for (int l = 0; l < n; l++) {
        while (r > l && a[l] + a[r] > k) r--;
        if (r <= l) break;
        ans += r - l;
    }
    printf("%lld\n", ans);
    return 0;
}
