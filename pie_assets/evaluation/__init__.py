"""Model evaluation: prompts, retrieval, generation, measurement and PIE's metrics."""
