#include <iostream>
#include <vector>
#include <string>
using namespace std;

int main() {
    int h, w;
    cin >> h >> w;
    vector<vector<int>> s(h + 1, vector<int>(w + 1, 0));
    for (int i = 0; i < h; i++) {
        string t;
        cin >> t;
        for (int j = 0; j < w; j++)
            s[i + 1][j + 1] = s[i][j + 1] + s[i + 1][j] - s[i][j] + (t[j] - '0');
    }
    int q;
    cin >> q;
    for (int k = 0; k < q; k++) {
        int r1, c1, r2, c2;
        cin >> r1 >> c1 >> r2 >> c2;
        cout << s[r2][c2] - s[r1 - 1][c2] - s[r2][c1 - 1] + s[r1 - 1][c1 - 1] << endl;
    }
    return 0;
}
