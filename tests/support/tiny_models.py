"""The tiny model builders live in the product (`pie train --base tiny`); tests import them here."""

from pie_assets.training.tiny import build_tiny_causal_lm, build_tiny_lora_adapter

__all__ = ["build_tiny_causal_lm", "build_tiny_lora_adapter"]
