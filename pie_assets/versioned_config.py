"""The one reader of the project's versioned TOML configs (simulator, dataset) and their hash.

A config's hash is over the canonical JSON of its parsed values, so comments and layout do not
count: it is stored in every row or materialisation the config produced, and a change of value
is a new hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any


def config_hash(values: dict[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def config_file(env_var: str, default: Path) -> Path:
    """The file a user's `$<env_var>` names, else the versioned one shipped with the code."""
    return Path(os.environ.get(env_var) or default)


def load_toml(path: Path, what: str) -> dict[str, Any]:
    """The parsed file, or a ValueError naming which config failed and where."""
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{what} config {path}: {err}") from err
