#include <iostream>
using namespace std;

bool isPrime(int x) {
    if (x < 2) return false;
    for (int d = 2; d < x; d++) {
        if (x % d == 0) return false;
    }
    return true;
}

int main() {
    int Q;
    cin >> Q;
    while (Q--) {
        int N;
        cin >> N;
        int cnt = 0;
        for (int x = 1; x <= N; x++) {
            if (isPrime(x)) cnt++;
        }
        cout << cnt << "\n";
    }
}
