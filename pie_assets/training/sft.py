"""Supervised fine-tuning with trl's SFTTrainer on prompt / completion examples: the loss is on
the completion only (trl's default for that format), and trl appends the end-of-text token, so
the model learns to stop after the program."""

from __future__ import annotations

from typing import Any

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from pie_assets.training.config import Hyperparameters


def sft_trainer(
    model: Any,
    tokenizer: Any,
    examples: list[dict[str, Any]],
    h: Hyperparameters,
    arguments: dict[str, Any],
    peft_config: Any | None,
    callbacks: list[Any],
) -> SFTTrainer:
    args = SFTConfig(**arguments, max_length=h.max_length, completion_only_loss=True, packing=False)
    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
