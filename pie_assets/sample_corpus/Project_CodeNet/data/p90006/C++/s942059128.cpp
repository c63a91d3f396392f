#include <iostream>
#include <vector>
using namespace std;

// エラトステネスの篩で前計算しておく
int main() {
    const int MAX = 100000;
    vector<bool> is_prime(MAX + 1, true);
    is_prime[0] = is_prime[1] = false;
    for (int i = 2; i * i <= MAX; i++) {
        if (!is_prime[i]) continue;
        for (int j = i * i; j <= MAX; j += i) is_prime[j] = false;
    }
    vector<int> cnt(MAX + 1, 0);
    for (int x = 1; x <= MAX; x++) cnt[x] = cnt[x - 1] + is_prime[x];
    int Q;
    cin >> Q;
    while (Q--) {
        int N;
        cin >> N;
        cout << cnt[N] << "\n";
    }
}
