#include <iostream>
#include <vector>
#include <string>
using namespace std;

int main() {
    int h, w;
    cin >> h >> w;
    // row[i][j] = sum of g[i][0..j-1]
    vector<vector<int>> row(h, vector<int>(w + 1, 0));
    for (int i = 0; i < h; i++) {
        string s;
        cin >> s;
        for (int j = 0; j < w; j++) row[i][j + 1] = row[i][j] + (s[j] - '0');
    }
    int q;
    cin >> q;
    for (int k = 0; k < q; k++) {
        int r1, c1, r2, c2;
        cin >> r1 >> c1 >> r2 >> c2;
        int sum = 0;
        for (int i = r1 - 1; i < r2; i++) sum += row[i][c2] - row[i][c1 - 1];
        cout << sum << endl;
    }
    return 0;
}
