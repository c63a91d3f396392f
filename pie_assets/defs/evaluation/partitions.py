"""One partition per checkpoint (model directory, adapter, endpoint, baseline or human reference);
the checkpoint sensor, `pie run` and `pie eval` add the keys."""

import dagster as dg

CHECKPOINTS = "checkpoints"
checkpoints_partitions = dg.DynamicPartitionsDefinition(name=CHECKPOINTS)
