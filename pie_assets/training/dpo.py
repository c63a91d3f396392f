"""DPO with trl's DPOTrainer on prompt / chosen / rejected pairs. The reference model is the
base: with LoRA, trl scores the reference by disabling the adapter (no second copy in memory);
with full fine-tuning it loads the base again from the same path."""

from __future__ import annotations

from typing import Any

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from pie_assets.training.config import Hyperparameters


def dpo_trainer(
    model: Any,
    tokenizer: Any,
    examples: list[dict[str, Any]],
    h: Hyperparameters,
    arguments: dict[str, Any],
    peft_config: Any | None,
    callbacks: list[Any],
) -> DPOTrainer:
    args = DPOConfig(**arguments, max_length=h.max_length, beta=h.beta)
    return DPOTrainer(
        model=model,
        ref_model=None,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
