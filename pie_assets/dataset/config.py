"""The dataset config (`pie_assets/dataset.toml`): the values of the SQL models' `var()`s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_assets.versioned_config import config_file, config_hash, load_toml

DEFAULT_DATASET_CONFIG = Path(__file__).resolve().parents[1] / "dataset.toml"


@dataclass(frozen=True)
class DatasetConfig:
    vars: dict[str, Any]  # [vars]: what `var()` returns
    hash: str  # of the whole file's values (versioned_config.config_hash)
    path: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> "DatasetConfig":
        path = Path(path) if path else config_file("PIE_DATASET_CONFIG", DEFAULT_DATASET_CONFIG)
        values = load_toml(path, "dataset")
        variables = values.get("vars", {})
        if not isinstance(variables, dict):
            raise ValueError(f"dataset config {path}: [vars] must be a table")
        return cls(vars=variables, hash=config_hash(values), path=str(path))

    def var(self, name: str) -> Any:
        try:
            return self.vars[name]
        except KeyError:
            raise KeyError(f"var {name!r} is not set in [vars] of the dataset config {self.path}") from None
