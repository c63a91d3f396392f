#include <bits/stdc++.h>
#define REP(i, n) for (int i = 0; i < (n); ++i)
using namespace std;
typedef long long int64;

int main() {
  int q;
  cin >> q;
  REP(t, q) {
    int n;
    cin >> n;
    int64 sum = 0;
    for (int i = 1; i <= n; ++i) {
      if (i % 3 == 0 || i % 5 == 0) sum += i;
    }
    cout << sum << endl;
  }
}
