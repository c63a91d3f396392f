#include <iostream>
using namespace std;

long long calc(int n, int d) {
    int m = n / d;
    return d * m * (m + 1) / 2;
}

int main() {
    int Q;
    cin >> Q;
    while (Q--) {
        int N;
        cin >> N;
        cout << calc(N, 3) + calc(N, 5) - calc(N, 15) << "\n";
    }
}
