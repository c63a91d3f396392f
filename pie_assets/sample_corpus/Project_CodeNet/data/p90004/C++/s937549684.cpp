#include <cstdio>

int main() {
    int q;
    scanf("%d", &q);
    while (q--) {
        int n;
        scanf("%d", &n);
        long long s = 0;
        for (int i = 3; i <= n; i += 3) s += i;
        for (int i = 5; i <= n; i += 5) s += i;
        for (int i = 15; i <= n; i += 15) s -= i;
        printf("%lld\n", s);
    }
    return 0;
}
