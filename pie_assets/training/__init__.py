"""Training that closes the loop: SFT, performance-conditioned SFT, DPO and RRTF on the versioned
exports, writing checkpoints (with their manifest) that the evaluation sensor registers."""
