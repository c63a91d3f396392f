"""What can be evaluated: model directories and adapters under the checkpoints root, the entries of
the models file (OpenAI-compatible endpoints), the model-free baselines and the human references.

Each is a `CheckpointSpec` named by its partition key of the `checkpoints` partitions. Its
`version` changes when what it would generate changes (a directory's files, an entry's fields),
so the checkpoint sensor re-evaluates a checkpoint replaced in place.

Directories are found by their marker files: `config.json` (a Hugging Face model) or
`adapter_config.json` (a peft adapter). Names beginning with `.` or `_`, or ending in `.tmp` or
`.partial`, are skipped: that is where a trainer writes a checkpoint before renaming it into place,
so the sensor never sees half a checkpoint. The one exception: the models `pie train` starts
from, under `<root>/_bases/` (the tiny one built there), are checkpoints `base-<name>`, so a
trained checkpoint is evaluated beside the base it was trained from and `checkpoint_comparisons`
compares the two with no hand step. Versions come from file names, sizes and mtimes, which a
sensor can read every 30 s without hashing gigabytes of weights.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pie_assets.evaluation.prompts import strategy_names
from pie_assets.versioned_config import load_toml
from pie_assets.versions import digest, directory_version

BASELINES = ("identity", "nearest-pair")  # every model-free baseline there is
HUMAN_REFERENCES = ("human-target", "human-fastest")  # every human reference there is
KINDS = ("transformers", "peft", "openai", "baseline", "human_reference")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
SKIPPED_SUFFIXES = (".tmp", ".partial")
OPENAI_APIS = ("chat", "completions")
BASES_DIR = "_bases"  # under the checkpoints root: the bases `pie train` builds (pie_assets.training.base)
BASE_PREFIX = "base-"  # a base's checkpoint name: BASE_PREFIX + its directory's name


@dataclass(frozen=True)
class CheckpointSpec:
    name: str  # the partition key
    kind: str  # one of KINDS
    location: str = ""  # model / adapter directory, or the endpoint's base URL
    model: str = ""  # the endpoint's model name
    api: str = "chat"  # chat | completions (endpoints)
    key_env: str = "OPENAI_API_KEY"  # the variable holding the endpoint's key (never the key itself)
    strategies: tuple[str, ...] = ()  # empty: the evaluation config's strategies
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_model(self) -> bool:
        """Models are prompted and sampled; baselines and human references are not."""
        return self.kind in ("transformers", "peft", "openai")


def builtin_specs(baselines: Sequence[str], human_references: Sequence[str]) -> list[CheckpointSpec]:
    """The built-ins the evaluation config enables (`[evaluation] baselines`, `human_references`)."""
    return [CheckpointSpec(name, "baseline", version=f"builtin:{name}:1") for name in baselines] + [
        CheckpointSpec(name, "human_reference", version=f"builtin:{name}:1") for name in human_references
    ]


def trained_strategies(path: Path) -> tuple[str, ...]:
    """The prompt strategies a checkpoint of `pie train` was trained for (its manifest's
    `evaluation_strategies`), so it is evaluated with the prompts it knows; () otherwise."""
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        return ()
    strategies = manifest.get("evaluation_strategies") if isinstance(manifest, dict) else None
    return tuple(strategies) if isinstance(strategies, list) and all(isinstance(s, str) for s in strategies) else ()


def directory_spec(path: Path, name: str | None = None) -> CheckpointSpec | None:
    """The spec of a model or adapter directory, or None when it is neither."""
    if (path / "adapter_config.json").is_file():
        kind = "peft"
    elif (path / "config.json").is_file():
        kind = "transformers"
    else:
        return None
    return CheckpointSpec(
        name or path.name,
        kind,
        location=str(path.resolve()),
        version=directory_version(path),
        strategies=trained_strategies(path),
    )


def _skipped(name: str) -> bool:
    return name.startswith((".", "_")) or name.endswith(SKIPPED_SUFFIXES)


def _directories(base: Path, prefix: str = "") -> list[CheckpointSpec]:
    if not base.is_dir():
        return []
    specs = []
    for entry in sorted(base.iterdir()):
        if entry.is_dir() and not _skipped(entry.name) and NAME.match(prefix + entry.name):
            spec = directory_spec(entry, prefix + entry.name)
            if spec:
                specs.append(spec)
    return specs


def discover_directories(root: str) -> list[CheckpointSpec]:
    """The model and adapter directories directly under `root` (a missing root holds none), then
    the bases under `root/_bases` as `base-<name>`."""
    return _directories(Path(root)) + _directories(Path(root) / BASES_DIR, BASE_PREFIX)


def read_models_file(path: str) -> list[CheckpointSpec]:
    """The `[[model]]` entries of a TOML models file (a missing file holds none):

        [[model]]
        name = "gpt-4o-mini"                  # the partition key
        base_url = "https://api.openai.com/v1"
        model = "gpt-4o-mini"
        key_env = "OPENAI_API_KEY"            # the variable holding the key (default OPENAI_API_KEY)
        api = "chat"                          # chat | completions
        strategies = ["instruction", "cot"]   # optional

    A malformed entry is a ValueError naming the file and the entry."""
    file = Path(path)
    if not file.is_file():
        return []
    entries = load_toml(file, "models file").get("model", [])
    specs = []
    for number, entry in enumerate(entries, start=1):
        where = f"models file {path}, entry {number}"
        missing = [k for k in ("name", "base_url", "model") if not entry.get(k)]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        if not NAME.match(entry["name"]):
            raise ValueError(f"{where}: name {entry['name']!r} is not a valid checkpoint name ({NAME.pattern})")
        api = entry.get("api", "chat")
        if api not in OPENAI_APIS:
            raise ValueError(f"{where}: api {api!r} is not one of {', '.join(OPENAI_APIS)}")
        known = {"name", "base_url", "model", "key_env", "api", "strategies"}
        canonical = json.dumps(entry, sort_keys=True)
        specs.append(
            CheckpointSpec(
                entry["name"],
                "openai",
                location=entry["base_url"],
                model=entry["model"],
                api=api,
                key_env=entry.get("key_env", "OPENAI_API_KEY"),
                strategies=strategy_names(entry.get("strategies", ()), f"{where}: strategies"),
                version=digest(canonical),
                extra={k: v for k, v in entry.items() if k not in known},
            )
        )
    return specs


def discover(
    checkpoints_root: str,
    models_file: str,
    baselines: Sequence[str] = BASELINES,
    human_references: Sequence[str] = HUMAN_REFERENCES,
) -> list[CheckpointSpec]:
    """Every checkpoint, the enabled built-ins first; a name used twice is a ValueError naming both."""
    specs = (
        builtin_specs(baselines, human_references)
        + discover_directories(checkpoints_root)
        + read_models_file(models_file)
    )
    seen: dict[str, CheckpointSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise ValueError(
                f"checkpoint name {spec.name!r} is used twice: {seen[spec.name].kind} "
                f"{seen[spec.name].location or '(built-in)'} and {spec.kind} {spec.location or '(built-in)'}"
            )
        seen[spec.name] = spec
    return specs


def resolve(
    name: str,
    checkpoints_root: str,
    models_file: str,
    baselines: Sequence[str] = BASELINES,
    human_references: Sequence[str] = HUMAN_REFERENCES,
) -> CheckpointSpec:
    for spec in discover(checkpoints_root, models_file, baselines, human_references):
        if spec.name == name:
            return spec
    raise KeyError(
        f"no checkpoint {name!r}: not an enabled built-in, not a model directory under {checkpoints_root}, "
        f"not an entry of {models_file}"
    )
