#include <iostream>
#include <vector>
#include <string>
using namespace std;

int main() {
    int h, w;
    cin >> h >> w;
    vector<vector<int>> g(h, vector<int>(w));
    for (int i = 0; i < h; i++) {
        string s;
        cin >> s;
        for (int j = 0; j < w; j++) g[i][j] = s[j] - '0';
    }
    int q;
    cin >> q;
    for (int k = 0; k < q; k++) {
        int r1, c1, r2, c2;
        cin >> r1 >> c1 >> r2 >> c2;
        int sum = 0;
        for (int i = r1 - 1; i < r2; i++)
            for (int j = c1 - 1; j < c2; j++)
                sum += g[i][j];
        cout << sum << endl;
    }
    return 0;
}
