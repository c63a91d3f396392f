#include <bits/stdc++.h>
using namespace std;

int main() {
  const int M = 100000;
  vector<bool> prime(M + 1, true);
  prime[0] = prime[1] = false;
  for (int i = 2; i * i <= M; ++i)
    if (prime[i])
      for (int j = i * i; j <= M; j += i) prime[j] = false;
  vector<int> pc(M + 1, 0);
  for (int i = 1; i <= M; ++i) pc[i] = pc[i - 1] + (prime[i] ? 1 : 0);
  int q;
  cin >> q;
  while (q--) {
    int n;
    cin >> n;
    cout << pc[n] << endl;
  }
}
