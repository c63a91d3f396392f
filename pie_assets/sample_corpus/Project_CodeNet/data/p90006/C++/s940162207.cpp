#include <bits/stdc++.h>
using namespace std;

bitset<100001> composite;
int pi_[100001];

int main()
{
	composite[0] = composite[1] = 1;
	for (int i = 2; i <= 100000; i++)
	{
		pi_[i] = pi_[i - 1];
		if (composite[i]) continue;
		pi_[i]++;
		for (long long j = (long long)i * i; j <= 100000; j += i) composite[j] = 1;
	}
	int Q;
	cin >> Q;
	for (int t = 0; t < Q; t++)
	{
		int N;
		cin >> N;
		cout << pi_[N] << "\n";
	}
	return 0;
}
