"""Asset definitions, one module per stage of the road (ingestion now; runtimes, pairs, evals next)."""
