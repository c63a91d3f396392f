"""Slow->fast pairs of small C++ programs (four problems) for the retrieval tests."""

from __future__ import annotations

import polars as pl

SUM_CIN = """#include <iostream>
using namespace std;
int main() {
    int n; cin >> n;
    long long total = 0;
    for (int i = 0; i < n; i++) { long long x; cin >> x; total += x; }
    cout << total << endl;
}
"""
SUM_SCANF = """#include <cstdio>
int main() {
    int n; scanf("%d", &n);
    long long total = 0;
    for (int i = 0; i < n; i++) { long long x; scanf("%lld", &x); total += x; }
    printf("%lld\\n", total);
}
"""
SORT_BUBBLE = """#include <bits/stdc++.h>
using namespace std;
int main() {
    int n; cin >> n;
    vector<int> a(n);
    for (int i = 0; i < n; i++) cin >> a[i];
    for (int i = 0; i < n; i++)
        for (int j = 0; j + 1 < n - i; j++)
            if (a[j] > a[j + 1]) swap(a[j], a[j + 1]);
    for (int i = 0; i < n; i++) cout << a[i] << (i + 1 < n ? ' ' : '\\n');
}
"""
SORT_STD = """#include <bits/stdc++.h>
using namespace std;
int main() {
    ios::sync_with_stdio(false); cin.tie(nullptr);
    int n; cin >> n;
    vector<int> a(n);
    for (auto &x : a) cin >> x;
    sort(a.begin(), a.end());
    for (int i = 0; i < n; i++) cout << a[i] << (i + 1 < n ? ' ' : '\\n');
}
"""
DP_RECURSIVE = """#include <bits/stdc++.h>
using namespace std;
long long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main() {
    int n; cin >> n;
    cout << fib(n) % 1000000007 << endl;
}
"""
DP_TABLE = """#include <bits/stdc++.h>
using namespace std;
int main() {
    int n; cin >> n;
    vector<long long> dp(n + 2, 0);
    dp[1] = 1;
    for (int i = 2; i <= n; i++) dp[i] = (dp[i - 1] + dp[i - 2]) % 1000000007;
    cout << dp[n] << '\\n';
}
"""
KNAPSACK = """#include <bits/stdc++.h>
using namespace std;
int main() {
    int n, w; cin >> n >> w;
    vector<int> wt(n), val(n);
    for (int i = 0; i < n; i++) cin >> wt[i] >> val[i];
    vector<vector<long long>> dp(n + 1, vector<long long>(w + 1, 0));
    for (int i = 1; i <= n; i++)
        for (int c = 0; c <= w; c++) {
            dp[i][c] = dp[i - 1][c];
            if (c >= wt[i - 1]) dp[i][c] = max(dp[i][c], dp[i - 1][c - wt[i - 1]] + val[i - 1]);
        }
    cout << dp[n][w] << endl;
}
"""
KNAPSACK_1D = KNAPSACK.replace(
    "vector<vector<long long>> dp(n + 1, vector<long long>(w + 1, 0));", "vector<long long> dp(w + 1, 0);"
)

# (src_id, tgt_id, problem_id, src_code, tgt_code, speedup). SUM_CIN is in four pairs: the
# highest speedup (3.5) is shared by three, the lowest tgt_id among them (t8) by two, and of
# those the lowest src_id (s3) is kept.
PAIRS = [
    ("s5", "t7", "p1", SUM_CIN, SUM_SCANF, 2.0),
    ("s5", "t9", "p1", SUM_CIN, SUM_SCANF, 3.5),
    ("s5", "t8", "p1", SUM_CIN, SUM_SCANF, 3.5),
    ("s3", "t8", "p1", SUM_CIN, SUM_SCANF, 3.5),
    ("s1", "t1", "p2", SORT_BUBBLE, SORT_STD, 40.0),
    ("s2", "t2", "p3", DP_RECURSIVE, DP_TABLE, 1000.0),
    ("s4", "t4", "p4", KNAPSACK, KNAPSACK_1D, 1.5),
]


def pairs_frame(rows=PAIRS) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["src_id", "tgt_id", "problem_id", "src_code", "tgt_code", "speedup"], orient="row"
    )
