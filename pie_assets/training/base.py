"""The model a run starts from: `tiny` (built locally once), a local Hugging Face directory, or a
hub name. What `from_pretrained` is given becomes the adapter's `base_model_name_or_path`, so a
local base is named by its absolute path: the evaluation then loads the adapter from anywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pie_assets.training.tiny import build_tiny_causal_lm

TINY = "tiny"
BASES_DIR = "_bases"  # under the checkpoints root; the sensor skips names starting with "_"
SHORT_NAME_CHARS = 48


@dataclass(frozen=True)
class BaseModel:
    name: str  # as the user gave it
    path: str  # what from_pretrained loads: an absolute directory or a hub name
    kind: str  # tiny | local | hub

    @property
    def short(self) -> str:
        """The base's part of a default checkpoint name: its last path or hub segment, made safe."""
        last = self.name if self.kind == TINY else self.path.rstrip("/").rsplit("/", 1)[-1]
        return re.sub(r"[^A-Za-z0-9._+-]", "-", last)[:SHORT_NAME_CHARS].strip("-.") or "model"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path, "kind": self.kind}


def tiny_base(checkpoints_dir: Path) -> Path:
    """`<checkpoints_dir>/_bases/tiny`, built on first use into a hidden directory that is then
    renamed into place, so two runs starting together never load half a base."""
    target = checkpoints_dir / BASES_DIR / TINY
    if (target / "config.json").is_file():
        return target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{TINY}.partial-", dir=target.parent))
    stage.chmod(0o755)
    try:
        build_tiny_causal_lm(stage)
        try:
            os.rename(stage, target)
        except OSError:
            if not (target / "config.json").is_file():  # not another run's finished base: a real error
                raise
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return target.resolve()


def resolve_base(base: str, checkpoints_dir: Path) -> BaseModel:
    if base == TINY:
        return BaseModel(TINY, str(tiny_base(checkpoints_dir)), TINY)
    if Path(base).is_dir():
        if not (Path(base) / "config.json").is_file():
            raise ValueError(f"base {base!r} is a directory without config.json: not a Hugging Face model")
        return BaseModel(base, str(Path(base).resolve()), "local")
    return BaseModel(base, base, "hub")
