#include <bits/stdc++.h>
using namespace std;

int main()
{
	long long N, K;
	cin >> N >> K;
	vector<long long> A(N);
	for (int i = 0; i < N; i++)
	{
		cin >> A[i];
	}
	long long count = 0;
	int i = 0;
	while (i < N)
	{
		int j = i + 1;
		while (j < N)
		{
			if (A[i] + A[j] <= K)
			{
				count++;
			}
			j++;
		}
		i++;
	}
	cout << count << endl;
	return 0;
}
