#include <bits/stdc++.h>
using namespace std;

int main() {
  const int M = 100000;
  vector<bool> prime(M + 1, true);
  prime[0] = prime[1] = false;
  for (int i = 2; i * i <= M; ++i)
    if (prime[i])
      for (int j = i * i; j <= M; j += i) prime[j] = false;
  int q;
  cin >> q;
  while (q--) {
    int n;
    cin >> n;
    int c = 0;
    for (int i = 2; i <= n; ++i)
      if (prime[i]) ++c;
    cout << c << endl;
  }
}
