#include <stdio.h>

int main(void)
{
    long long a[10000000];
    int n, q, i, l, r;
    long long t;

    scanf("%d %d", &n, &q);
    for (i = 1; i <= n; i++) scanf("%lld", &a[i]);
    while (q--) {
        scanf("%d %d", &l, &r);
        t = 0;
        for (i = l; i <= r; i++) t += a[i];
        printf("%lld\n", t);
    }
    return 0;
}
