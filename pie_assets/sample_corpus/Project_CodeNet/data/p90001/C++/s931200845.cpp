#include <bits/stdc++.h>
#define REP(i, n) for (int i = 0; i < (n); ++i)
using namespace std;
typedef long long int64;

int main() {
  int n;
  int64 k;
  cin >> n >> k;
  vector<int64> a(n);
  REP(i, n) cin >> a[i];
  sort(a.begin(), a.end());
  int64 ans = 0;
  REP(i, n) {
    auto it = upper_bound(a.begin() + i + 1, a.end(), k - a[i]);
    ans += it - (a.begin() + i + 1);
  }
  cout << ans << endl;
}
