#include <cstdio>

long long tri(long long m) { return m * (m + 1) / 2; }

int main() {
    int q;
    scanf("%d", &q);
    while (q--) {
        long long n;
        scanf("%lld", &n);
        printf("%lld\n", 3 * tri(n / 3) + 5 * tri(n / 5) - 15 * tri(n / 15));
    }
    return 0;
}
