#include <iostream>
#include <vector>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> cnt(1000001, 0);
    int ans = 0;
    for (int i = 0; i < n; i++) {
        int a;
        cin >> a;
        if (cnt[a] == 0) ans++;
        cnt[a]++;
    }
    cout << ans << endl;
    return 0;
}
