"""One partition per CodeNet problem; the discovery sensor and `pie run` add the keys."""

import dagster as dg

PROBLEMS = "problems"
problems_partitions = dg.DynamicPartitionsDefinition(name=PROBLEMS)

# Each Dagster run costs seconds of overhead, so backfills of thousands of problems are cut into
# runs of this many partitions, each run processing its partitions in a thread pool.
MAX_PARTITIONS_PER_RUN = 100
problem_backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_PARTITIONS_PER_RUN)
