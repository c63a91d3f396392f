"""The training config (`pie_assets/training.toml`): one set of hyperparameters per method, merged
from [defaults], the method's section and [tiny] (for the tiny base). The merged values and the
file's hash go into every checkpoint's manifest, so a checkpoint says exactly how it was trained.

Values are checked when they are read, so a typo'd key or a negative rate fails before any model
is loaded; what only the libraries can judge (a LoRA target module the model lacks) fails inside
the run, which then leaves no checkpoint behind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pie_assets.versioned_config import VersionedConfig, config_file
from pie_assets.versions import config_hash

DEFAULT_TRAINING_CONFIG = Path(__file__).resolve().parents[1] / "training.toml"
METHODS = ("sft", "sft-perf", "dpo", "rrtf")
SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup")


def config_path() -> Path:
    return config_file("PIE_TRAINING_CONFIG", DEFAULT_TRAINING_CONFIG)


@dataclass(frozen=True)
class Hyperparameters:
    steps: int
    learning_rate: float
    batch_size: int
    gradient_accumulation_steps: int
    gradient_checkpointing: bool
    max_length: int
    lr_scheduler_type: str
    warmup_steps: int
    logging_steps: int
    seed: int
    beta: float
    lora_r: int
    lora_alpha: int
    lora_dropout: float
    lora_target_modules: tuple[str, ...] | str

    def __post_init__(self) -> None:
        positive = (
            "steps",
            "learning_rate",
            "batch_size",
            "gradient_accumulation_steps",
            "max_length",
            "logging_steps",
            "beta",
            "lora_r",
            "lora_alpha",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"training config: {name} must be positive, got {getattr(self, name)!r}")
        if self.warmup_steps < 0:
            raise ValueError(f"training config: warmup_steps must be >= 0, got {self.warmup_steps}")
        if not 0 <= self.lora_dropout < 1:
            raise ValueError(f"training config: lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if self.lr_scheduler_type not in SCHEDULERS:
            raise ValueError(
                f"training config: lr_scheduler_type {self.lr_scheduler_type!r} is not one of {', '.join(SCHEDULERS)}"
            )

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if isinstance(self.lora_target_modules, tuple):
            values["lora_target_modules"] = list(self.lora_target_modules)
        return values


_TYPES = {f.name: f.type for f in fields(Hyperparameters)}


def _coerce(name: str, value: Any) -> Any:
    """TOML's value as the field's type; a mistyped value is a ValueError naming the key."""
    kind = _TYPES[name]
    if name == "lora_target_modules":
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
    elif (kind == "bool" and isinstance(value, bool)) or (
        kind == "int" and isinstance(value, int) and not isinstance(value, bool)
    ):
        return value
    elif kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    elif kind == "str" and isinstance(value, str):
        return value
    raise ValueError(f"training config: {name} = {value!r} is not a {kind}")


class TrainingConfig(VersionedConfig):
    WHAT = "training"

    @classmethod
    def default_path(cls) -> Path:
        return config_path()

    @classmethod
    def from_values(cls, values: dict[str, Any], path: str = "<values>") -> TrainingConfig:
        """A config not read from a file (tests, callers that build one)."""
        return cls(values=values, hash=config_hash(values), path=path)

    def hyperparameters(self, method: str, *, tiny: bool = False) -> Hyperparameters:
        if method not in METHODS:
            raise ValueError(f"unknown training method {method!r}; known: {', '.join(METHODS)}")
        unknown_sections = set(self.values) - {"defaults", "tiny", "selfplay", *METHODS}  # [selfplay]: selfplay.py
        if unknown_sections:
            raise ValueError(f"training config {self.path}: unknown sections {', '.join(sorted(unknown_sections))}")
        merged: dict[str, Any] = {}
        for section in ("defaults", method, *(("tiny",) if tiny else ())):
            values = self.section(section)
            unknown = set(values) - set(_TYPES)
            if unknown:
                raise ValueError(f"training config {self.path} [{section}]: unknown keys {', '.join(sorted(unknown))}")
            merged.update({name: _coerce(name, value) for name, value in values.items()})
        missing = set(_TYPES) - set(merged)
        if missing:
            raise ValueError(f"training config {self.path}: missing {', '.join(sorted(missing))}")
        return Hyperparameters(**merged)
