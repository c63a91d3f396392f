#include <bits/stdc++.h>
using namespace std;

int main() {
  int n;
  scanf("%d", &n);
  vector<int> v(n);
  for (auto &e : v) scanf("%d", &e);
  sort(v.begin(), v.end());
  v.erase(unique(v.begin(), v.end()), v.end());
  printf("%d\n", (int)v.size());
}
