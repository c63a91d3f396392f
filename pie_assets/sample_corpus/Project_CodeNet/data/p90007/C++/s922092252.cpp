#include <iostream>
#include <string>
#include <vector>
using namespace std;

int main() {
	int h, w, q;
	cin >> h >> w;
	vector<string> f(h);
	for (int i = 0; i < h; i++) cin >> f[i];
	cin >> q;
	while (q--) {
		int y1, x1, y2, x2;
		cin >> y1 >> x1 >> y2 >> x2;
		int total = 0;
		for (int y = y1; y <= y2; y++) {
			for (int x = x1; x <= x2; x++) {
				total += f[y - 1][x - 1] - '0';
			}
		}
		cout << total << "\n";
	}
	return 0;
}
