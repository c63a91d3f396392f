#include <bits/stdc++.h>
using namespace std;

const long long mod = 1e9 + 7;

int main()
{
	long long N, K;
	cin >> N >> K;
	vector<long long> S(N + 2, 0); // S[i] = dp[0] + ... + dp[i-1]
	S[1] = 1;
	for (long long i = 1; i <= N; i++)
	{
		long long lo = max(0LL, i - K);
		long long d = (S[i] - S[lo]) % mod;
		S[i + 1] = (S[i] + d) % mod;
	}
	cout << (S[N + 1] - S[N]) % mod << endl;
	return 0;
}
