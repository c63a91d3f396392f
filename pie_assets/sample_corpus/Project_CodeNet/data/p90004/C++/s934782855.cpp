#include <cstdio>

int main() {
    int q;
    scanf("%d", &q);
    while (q--) {
        int n;
        scanf("%d", &n);
        long long s = 0;
        for (int i = 1; i <= n; i++)
            if (i % 3 == 0 || i % 5 == 0) s += i;
        printf("%lld\n", s);
    }
    return 0;
}
