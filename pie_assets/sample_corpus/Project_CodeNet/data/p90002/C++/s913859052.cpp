#include <bits/stdc++.h>
using namespace std;
using ll = long long;

int main() {
  int n, q;
  cin >> n >> q;
  vector<ll> a(n);
  for (auto& x : a) cin >> x;
  // memo[l][r - l] = a[l] + ... + a[r]
  vector<vector<ll>> memo(n);
  for (int l = 0; l < n; l++) {
    memo[l].resize(n - l);
    ll s = 0;
    for (int r = l; r < n; r++) {
      s += a[r];
      memo[l][r - l] = s;
    }
  }
  while (q--) {
    int l, r;
    cin >> l >> r;
    --l, --r;
    cout << memo[l][r - l] << "\n";
  }
}
