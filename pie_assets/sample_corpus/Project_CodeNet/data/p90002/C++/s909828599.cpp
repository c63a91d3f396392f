#include <stdio.h>

long long a[10001];

int main(void)
{
    int n, q, i, l, r;
    long long x;

    scanf("%d %d", &n, &q);
    for (i = 1; i <= n; i++) {
        scanf("%lld", &x);
        a[i] = a[i - 1] + x;   /* a[i] = sum of first i */
    }
    while (q--) {
        scanf("%d %d", &l, &r);
        printf("%lld\n", a[r] - a[l - 1]);
    }
    return 0;
}
