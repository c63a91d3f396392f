#include <cstdio>

int H, W, Q;
char row[310];
int sum[310][310];

int main() {
    scanf("%d %d", &H, &W);
    for (int i = 1; i <= H; i++) {
        scanf("%s", row + 1);
        for (int j = 1; j <= W; j++) {
            sum[i][j] = row[j] - '0' + sum[i - 1][j] + sum[i][j - 1] - sum[i - 1][j - 1];
        }
    }
    scanf("%d", &Q);
    for (int t = 0; t < Q; t++) {
        int a, b, c, d;
        scanf("%d %d %d %d", &a, &b, &c, &d);
        printf("%d\n", sum[c][d] - sum[a - 1][d] - sum[c][b - 1] + sum[a - 1][b - 1]);
    }
    return 0;
}
