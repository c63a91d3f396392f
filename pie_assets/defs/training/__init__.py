"""Group `training`: the `train_checkpoint` job, which trains a checkpoint from the versioned
exports into the checkpoints root, where the checkpoint sensor registers and evaluates it."""
