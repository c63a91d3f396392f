#include <iostream>
#include <string>
#include <vector>
using namespace std;

int main() {
	ios::sync_with_stdio(false);
	cin.tie(nullptr);
	int h, w, q;
	cin >> h >> w;
	vector<int> s((h + 1) * (w + 1), 0);
	auto at = [&](int y, int x) -> int& { return s[y * (w + 1) + x]; };
	for (int y = 1; y <= h; y++) {
		string line;
		cin >> line;
		for (int x = 1; x <= w; x++) at(y, x) = at(y - 1, x) + at(y, x - 1) - at(y - 1, x - 1) + (line[x - 1] - '0');
	}
	cin >> q;
	while (q--) {
		int y1, x1, y2, x2;
		cin >> y1 >> x1 >> y2 >> x2;
		cout << at(y2, x2) - at(y1 - 1, x2) - at(y2, x1 - 1) + at(y1 - 1, x1 - 1) << "\n";
	}
	return 0;
}
