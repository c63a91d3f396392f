#include <bits/stdc++.h>
#define REP(i, n) for (int i = 0; i < (n); ++i)
using namespace std;
typedef long long int64;

const int MAX_N = 1000000;

int main() {
  vector<int64> acc(MAX_N + 1, 0);
  for (int i = 1; i <= MAX_N; ++i) {
    acc[i] = acc[i - 1] + ((i % 3 == 0 || i % 5 == 0) ? i : 0);
  }
  int q;
  cin >> q;
  REP(t, q) {
    int n;
    cin >> n;
    cout << acc[n] << endl;
  }
}
