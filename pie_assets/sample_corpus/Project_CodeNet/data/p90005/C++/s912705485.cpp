#include <cstdio>

static bool seen[1000001];

static inline int readInt() {
    int c = getchar_unlocked();
    while (c < '0' || c > '9') c = getchar_unlocked();
    int x = 0;
    while (c >= '0' && c <= '9') {
        x = x * 10 + (c - '0');
        c = getchar_unlocked();
    }
    return x;
}

int main() {
    int n = readInt();
    int kinds = 0;
    for (int i = 0; i < n; i++) {
        int x = readInt();
        if (!seen[x]) {
            seen[x] = true;
            kinds++;
        }
    }
    printf("%d\n", kinds);
    return 0;
}
