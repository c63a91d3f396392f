#include <bits/stdc++.h>
using namespace std;
using ll = long long;

int main() {
  int n, q;
  cin >> n >> q;
  vector<ll> a(n + 1, 0);
  for (int i = 1; i <= n; i++) cin >> a[i];
  partial_sum(a.begin(), a.end(), a.begin());
  while (q--) {
    int l, r;
    cin >> l >> r;
    cout << a[r] - a[l - 1] << "\n";
  }
}
