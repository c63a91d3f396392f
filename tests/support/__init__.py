"""Helpers the test tiers share: corpora and datasets built on disk, real servers, the CLI in its own process."""
