#include <iostream>
#include <vector>
#include <algorithm>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> seen;
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        if (find(seen.begin(), seen.end(), x) == seen.end()) {
            seen.push_back(x);
        }
    }
    cout << seen.size() << endl;
    return 0;
}
