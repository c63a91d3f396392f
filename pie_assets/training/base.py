"""The model a run starts from: `tiny` (built locally once), a local Hugging Face directory, or a
hub name. A checkpoint names its base (the adapter's `base_model_name_or_path`, the manifest's
`base.path`) by its absolute path, so the evaluation loads the adapter from anywhere; a base in
the same checkpoints root (the tiny one under `_bases/`) relative to the checkpoint instead,
`../_bases/tiny`, so a warehouse holding both can be moved or copied and its adapters load their
own base (the evaluation resolves such a name against the adapter's directory).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pie_assets.evaluation.checkpoints import BASES_DIR
from pie_assets.training.tiny import build_tiny_causal_lm

TINY = "tiny"
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

    def reference(self, checkpoints_dir: Path) -> str:
        """How a checkpoint under `checkpoints_dir` names this base (see the module's docstring)."""
        root = checkpoints_dir.resolve()
        if self.kind == "hub" or not Path(self.path).is_relative_to(root):
            return self.path
        return os.path.join(os.pardir, os.path.relpath(self.path, root))

    def to_dict(self, checkpoints_dir: Path) -> dict[str, str]:
        """The manifest's `base` of a checkpoint under `checkpoints_dir`."""
        return {"name": self.name, "path": self.reference(checkpoints_dir), "kind": self.kind}


def name_base(adapter_dir: Path, reference: str) -> None:
    """Names the adapter's base as the manifest does: peft saved the path it was loaded from
    (renamed after the save, since peft's save reads the base's config at the name it holds)."""
    config_file = adapter_dir / "adapter_config.json"
    config = json.loads(config_file.read_text())
    config["base_model_name_or_path"] = reference
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


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
