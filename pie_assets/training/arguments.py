"""The TrainingArguments every method shares (trl's configs extend them): steps, batch, rate,
accumulation, checkpointing and precision from the config and the hardware. Nothing is saved by
the trainer itself (no intermediate checkpoints, no reporting): the run saves once, atomically."""

from __future__ import annotations

from typing import Any

from pie_assets.training.config import Hyperparameters
from pie_assets.training.hardware import Hardware


def common_arguments(h: Hyperparameters, hardware: Hardware, output_dir: str, *, progress_bar: bool) -> dict[str, Any]:
    return dict(
        output_dir=output_dir,
        max_steps=h.steps,
        per_device_train_batch_size=h.batch_size,
        gradient_accumulation_steps=h.gradient_accumulation_steps,
        learning_rate=h.learning_rate,
        lr_scheduler_type=h.lr_scheduler_type,
        warmup_steps=h.warmup_steps,
        seed=h.seed,
        data_seed=h.seed,
        activation_checkpointing=h.gradient_checkpointing,  # transformers 5's name for gradient checkpointing
        activation_checkpointing_kwargs={"use_reentrant": False} if h.gradient_checkpointing else None,
        bf16=hardware.bf16,
        use_cpu=hardware.device == "cpu",
        logging_steps=h.logging_steps,
        logging_first_step=True,
        save_strategy="no",
        report_to="none",
        disable_tqdm=not progress_bar,
        dataloader_num_workers=0,
    )
