"""One training run, from an export version to a checkpoint the evaluation sensor picks up:
read the examples, resolve the base, train with the method's trainer (LoRA by default), save the
adapter or the full model with its tokenizer and the manifest into a staging directory, and
rename it into `<checkpoints_dir>/<name>`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peft import PeftModel
from transformers import PreTrainedModel, PrinterCallback, set_seed

from pie_assets.dataset.preference_rows import PREFERENCE_METHODS, PREFERENCE_SETS
from pie_assets.lake.storage import Warehouse
from pie_assets.settings import Settings
from pie_assets.training.arguments import common_arguments
from pie_assets.training.base import TINY, name_base, resolve_base
from pie_assets.training.config import METHODS, TrainingConfig
from pie_assets.training.data import TrainingData, dpo_data, perf_data, rrtf_data, sft_data
from pie_assets.training.dpo import dpo_trainer
from pie_assets.training.hardware import detect
from pie_assets.training.manifest import library_versions, write_manifest
from pie_assets.training.models import load_base, lora_config
from pie_assets.training.progress import LossLog, TrainingProgress
from pie_assets.training.rrtf import rrtf_trainer
from pie_assets.training.sft import sft_trainer
from pie_assets.training.staging import check_name, default_name, staged

TRAINERS = {"sft": sft_trainer, "sft-perf": sft_trainer, "dpo": dpo_trainer, "rrtf": rrtf_trainer}
# The prompt strategy each method trains for, which the evaluation should prompt the model with.
EVALUATION_STRATEGIES = {
    "sft": ("instruction",),
    "sft-perf": ("perf_conditioned",),
    "dpo": ("instruction",),
    "rrtf": ("instruction",),
}
TRAINER_DIR = "trainer"  # the Trainer's output_dir inside the staging directory; removed before the rename


@dataclass(frozen=True)
class TrainResult:
    path: Path  # the checkpoint directory
    manifest: dict[str, Any]


def training_data(
    method: str, warehouse: Warehouse, version: str | None, *, data_subset: str, preference_kind: str, preference: str
) -> TrainingData:
    if method == "sft":
        return sft_data(warehouse, version, data_subset)
    if method == "sft-perf":
        return perf_data(warehouse, version)
    if method == "dpo":
        return dpo_data(warehouse, version, preference_kind, preference)
    return rrtf_data(warehouse, version, preference)


def _config(config: TrainingConfig | str | Path | None) -> TrainingConfig:
    return config if isinstance(config, TrainingConfig) else TrainingConfig.load(config)


def train(
    method: str,
    base: str,
    warehouse: str,
    *,
    lora: bool = True,
    data_version: str | None = None,
    name: str | None = None,
    checkpoints_dir: str | None = None,
    config: TrainingConfig | str | Path | None = None,
    data_subset: str = "all",
    preference_kind: str = "both",
    preference: str = PREFERENCE_SETS[0],
    on_progress: Callable[[TrainingProgress], None] | None = None,
    progress_bar: bool = True,
) -> TrainResult:
    """Train `base` by `method` on the export version `data_version` (default: LATEST) and write
    the checkpoint `name` (default `<method>-<base>-<version[:8]>-<UTC time>`) under
    `checkpoints_dir` (default: the settings' checkpoints root beside `warehouse`). dpo and rrtf
    read the `preference` set of preference_export (optimization or codedpo; the others ignore it)."""
    if method not in METHODS:
        raise ValueError(f"unknown training method {method!r}; known: {', '.join(METHODS)}")
    training_config = _config(config)
    h = training_config.hyperparameters(method, tiny=base == TINY)
    data = training_data(
        method,
        Warehouse(warehouse),
        data_version,
        data_subset=data_subset,
        preference_kind=preference_kind,
        preference=preference,
    )
    root = Path(
        checkpoints_dir or Settings(codenet_root="", warehouse=warehouse, extra_tests=None).resolved_checkpoints_dir()
    )
    started = datetime.now(UTC)
    model_base = resolve_base(base, root)
    name = check_name(name or default_name(method, model_base.short, data.version, started))
    hardware = detect()
    losses = LossLog(on_progress)
    with staged(root, name) as stage:
        set_seed(h.seed)  # before the model: LoRA's initial weights are random
        model, tokenizer = load_base(model_base, hardware)
        arguments = common_arguments(h, hardware, str(stage / TRAINER_DIR), progress_bar=progress_bar)
        trainer = TRAINERS[method](
            model, tokenizer, data.examples, h, arguments, lora_config(h) if lora else None, [losses]
        )
        if not progress_bar:  # without its bar, transformers prints every log to stdout instead
            trainer.remove_callback(PrinterCallback)
        examples = trainer.train_dataset
        if isinstance(examples, Sized) and len(examples) == 0:  # trl drops examples whose prompt fills max_length
            raise ValueError(
                f"no {method} example of {data.export} {data.version} fits max_length = {h.max_length} "
                "tokens with some of its answer: raise max_length in the training config"
            )
        clock = time.monotonic()
        trainer.train()
        train_seconds = time.monotonic() - clock
        trained = trainer.model
        if not isinstance(trained, (PreTrainedModel, PeftModel)):
            raise TypeError(f"the {method} trainer holds a {type(trained).__name__}, which is no checkpoint to save")
        trained.save_pretrained(str(stage))
        if lora:
            name_base(stage, model_base.reference(root))
        tokenizer.save_pretrained(stage)
        if (stage / TRAINER_DIR).exists():
            shutil.rmtree(stage / TRAINER_DIR)
        manifest = {
            "name": name,
            "method": method,
            "base": model_base.to_dict(root),
            "lora": lora,
            "data": [data.source()],
            "hyperparameters": h.to_dict(),
            "config": {"path": training_config.path, "hash": training_config.hash},
            "seed": h.seed,
            "steps": trainer.state.global_step,
            "losses": losses.losses,
            "final_loss": losses.losses[-1]["loss"] if losses.losses else None,
            "train_seconds": round(train_seconds, 3),
            "library_versions": library_versions(),
            "hardware": hardware.to_dict(),
            "created_at": started.isoformat(timespec="seconds"),
            "preference": preference if method in PREFERENCE_METHODS else None,
            # the strategies the examples' prompts were built with, when the data names them
            "evaluation_strategies": list(data.strategies or EVALUATION_STRATEGIES[method]),
        }
        write_manifest(stage, manifest)
    return TrainResult(root / name, manifest)
