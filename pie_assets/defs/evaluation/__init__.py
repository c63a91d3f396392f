"""Group `evaluation`: checkpoints as partitions, the retrieval index, one checkpoint's evaluation
tables, the checkpoint sensor and the nightly re-evaluation."""
