"""The one reader of the project's versioned TOML configs (simulator, dataset) and their hash.

A config's hash is over the canonical JSON of its parsed values, so comments and layout do not
count: it is stored in every row or materialisation the config produced, and a change of value
is a new hash.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pie_assets.versions import config_hash


def config_file(env_var: str, default: Path) -> Path:
    """The file a user's `$<env_var>` names, else the versioned one shipped with the code."""
    return Path(os.environ.get(env_var) or default)


def load_toml(path: Path, what: str) -> dict[str, Any]:
    """The parsed file, or a ValueError naming which config failed and where."""
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{what} config {path}: {err}") from err


@dataclass(frozen=True)
class VersionedConfig:
    """A parsed config file and its hash. Subclasses say what it is (`WHAT`, for errors) and
    where it lives by default (`default_path`), and add typed accessors over `section`."""

    values: dict[str, Any]
    hash: str  # config_hash of the values, less UNHASHED
    path: str
    WHAT: ClassVar[str] = "config"
    # section -> keys that say where or how fast the work runs, not what it produces: changing
    # them must not make every row stale (e.g. the simulator's execution engine).
    UNHASHED: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    def content_hash(cls, values: dict[str, Any]) -> str:
        hashed = {
            name: (
                {k: v for k, v in section.items() if k not in cls.UNHASHED.get(name, ())}
                if isinstance(section, dict)
                else section
            )
            for name, section in values.items()
        }
        return config_hash(hashed)

    @classmethod
    def default_path(cls) -> Path:
        raise NotImplementedError

    @classmethod
    def load(cls, path: str | Path | None = None):
        path = Path(path) if path else cls.default_path()
        values = load_toml(path, cls.WHAT)
        return cls(values=values, hash=cls.content_hash(values), path=str(path))

    def section(self, name: str) -> dict[str, Any]:
        return self.values.get(name, {})
