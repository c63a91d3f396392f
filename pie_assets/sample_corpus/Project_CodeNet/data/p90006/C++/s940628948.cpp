#include <iostream>
#include <vector>
using namespace std;

bool isPrime(int x) {
    if (x < 2) return false;
    for (int d = 2; d * d <= x; d++) {
        if (x % d == 0) return false;
    }
    return true;
}

int main() {
    const int MAX = 100000;
    vector<int> cnt(MAX + 1, 0);
    for (int x = 1; x <= MAX; x++) {
        cnt[x] = cnt[x - 1] + (isPrime(x) ? 1 : 0);
    }
    int Q;
    cin >> Q;
    while (Q--) {
        int N;
        cin >> N;
        cout << cnt[N] << "\n";
    }
}
