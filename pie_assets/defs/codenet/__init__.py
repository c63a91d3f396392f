"""Group `codenet`: `problems` from problem_list.csv and, per problem partition, its submissions,
tests, statement and rejects; the discovery sensor and the `ingest_problems` job."""
