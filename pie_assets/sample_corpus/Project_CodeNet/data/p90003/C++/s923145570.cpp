#include <cstdio>

const int MOD = 1000000007;
static int f[1000005], pre[1000006];

int main() {
    int n, k;
    scanf("%d%d", &n, &k);
    f[0] = 1; pre[1] = 1;
    for (int i = 1; i <= n; ++i) {
        int lo = i - k < 0 ? 0 : i - k;
        f[i] = pre[i] - pre[lo];
        if (f[i] < 0) f[i] += MOD;
        pre[i + 1] = pre[i] + f[i];
        if (pre[i + 1] >= MOD) pre[i + 1] -= MOD;
    }
    printf("%d\n", f[n]);
    return 0;
}
