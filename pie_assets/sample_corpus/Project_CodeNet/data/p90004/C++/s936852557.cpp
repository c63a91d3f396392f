#include <bits/stdc++.h>
#define REP(i, n) for (int i = 0; i < (n); ++i)
using namespace std;
typedef long long int64;

// sum of multiples of d in [1, n]
int64 f(int64 n, int64 d) {
  int64 m = n / d;
  return d * m * (m + 1) / 2;
}

int main() {
  int q;
  cin >> q;
  REP(t, q) {
    int64 n;
    cin >> n;
    cout << f(n, 3) + f(n, 5) - f(n, 15) << endl;
  }
}
