#include <bits/stdc++.h>
using namespace std;

char used[1000001];
static char buf[1 << 22];

int main() {
  size_t len = fread(buf, 1, sizeof(buf) - 1, stdin);
  buf[len] = 0;
  char *p = buf;
  auto next = [&]() {
    while (*p && (*p < '0' || *p > '9')) ++p;
    int x = 0;
    while (*p >= '0' && *p <= '9') x = x * 10 + (*p++ - '0');
    return x;
  };
  int n = next();
  int ans = 0;
  for (int i = 0; i < n; ++i) {
    int x = next();
    ans += !used[x];
    used[x] = 1;
  }
  printf("%d\n", ans);
}
