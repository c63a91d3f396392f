def tri(m):
    return m * (m + 1) // 2

q = int(input())
for _ in range(q):
    n = int(input())
    print(3 * tri(n // 3) + 5 * tri(n // 5) - 15 * tri(n // 15))
