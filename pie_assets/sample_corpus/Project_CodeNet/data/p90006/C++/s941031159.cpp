#include <cstdio>
#include <algorithm>

int q, n[1000], cnt[100001];
bool comp[100001];

int main() {
    scanf("%d", &q);
    int mx = 0;
    for (int i = 0; i < q; i++) {
        scanf("%d", &n[i]);
        mx = std::max(mx, n[i]);
    }
    for (int i = 2; i <= mx; i++) {
        cnt[i] = cnt[i - 1];
        if (comp[i]) continue;
        cnt[i]++;
        for (long long j = (long long)i * i; j <= mx; j += i) comp[j] = true;
    }
    for (int i = 0; i < q; i++) printf("%d\n", cnt[n[i]]);
    return 0;
}
