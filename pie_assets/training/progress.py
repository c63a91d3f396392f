"""The losses a run logs: kept for the manifest and passed to the caller's progress function (the
CLI shows transformers' own progress bar; the Dagster op logs each one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transformers import TrainerCallback


@dataclass(frozen=True)
class TrainingProgress:
    step: int
    steps: int
    loss: float


class LossLog(TrainerCallback):
    def __init__(self, on_progress: Callable[[TrainingProgress], None] | None = None) -> None:
        self.losses: list[dict[str, float]] = []
        self.on_progress = on_progress

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        if logs and "loss" in logs:
            self.losses.append({"step": state.global_step, "loss": float(logs["loss"])})
            if self.on_progress is not None:
                self.on_progress(TrainingProgress(state.global_step, state.max_steps, float(logs["loss"])))
