#include <bits/stdc++.h>
using namespace std;

int main() {
  int H, W;
  cin >> H >> W;
  vector<string> g(H);
  for (auto &s : g) cin >> s;
  vector<vector<int>> acc(H + 1, vector<int>(W + 1, 0));
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < W; ++j)
      acc[i + 1][j + 1] = acc[i][j + 1] + acc[i + 1][j] - acc[i][j] + (g[i][j] - '0');
  int Q;
  cin >> Q;
  while (Q--) {
    int a, b, c, d;
    cin >> a >> b >> c >> d;
    --a, --b;
    cout << acc[c][d] - acc[a][d] - acc[c][b] + acc[a][b] << "\n";
  }
}
