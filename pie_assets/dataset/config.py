"""The dataset config (`pie_assets/dataset.toml`): the values of the SQL models' `var()`s, and the
settings of the DuckDB connection that computes them (`[duckdb]`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pie_assets.versioned_config import config_file, load_toml
from pie_assets.versions import config_hash

DEFAULT_DATASET_CONFIG = Path(__file__).resolve().parents[1] / "dataset.toml"
SETTING_NAME = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class DatasetConfig:
    vars: dict[str, Any]  # [vars]: what `var()` returns
    hash: str  # of the whole file's values (versioned_config.config_hash)
    path: str
    settings: dict[str, Any] = field(default_factory=dict)  # [duckdb], as written

    def __post_init__(self) -> None:
        """A name that is not a plain identifier or a value that is not a string, number or boolean
        raises ValueError here, at load time, not when the first model runs."""
        for name, value in self.settings.items():
            if not SETTING_NAME.match(name) or not isinstance(value, (str, int, float, bool)):
                raise ValueError(
                    f"dataset config {self.path}: [duckdb] {name} = {value!r} is not a DuckDB setting "
                    "(a lowercase name and a string, number or boolean)"
                )

    @property
    def duckdb(self) -> dict[str, str | int | float | bool]:
        """[duckdb]: DuckDB settings (name -> value, e.g. memory_limit = "3GB", threads = 2) for the
        connection that computes and tests the SQL models."""
        return dict(self.settings)

    @classmethod
    def load(cls, path: str | Path | None = None) -> DatasetConfig:
        path = Path(path) if path else config_file("PIE_DATASET_CONFIG", DEFAULT_DATASET_CONFIG)
        values = load_toml(path, "dataset")
        variables = values.get("vars", {})
        if not isinstance(variables, dict):
            raise ValueError(f"dataset config {path}: [vars] must be a table")
        settings = values.get("duckdb", {})
        if not isinstance(settings, dict):
            raise ValueError(f"dataset config {path}: [duckdb] must be a table")
        return cls(vars=variables, hash=config_hash(values), path=str(path), settings=settings)

    def with_vars(self, **overrides: Any) -> DatasetConfig:
        """The config with some vars set for one command (`pie run --eval-pairs pie`), each of
        which must exist in the file; the hash covers the overrides, so what they produce is
        never taken for what the file alone produces."""
        if not overrides:
            return self
        for name in overrides:
            self.var(name)
        return DatasetConfig(
            vars={**self.vars, **overrides},
            path=self.path,
            settings=self.settings,
            hash=config_hash({"file": self.hash, "overrides": overrides}),
        )

    def var(self, name: str) -> Any:
        try:
            return self.vars[name]
        except KeyError:
            raise KeyError(f"var {name!r} is not set in [vars] of the dataset config {self.path}") from None
