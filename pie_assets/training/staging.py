"""Where a run writes: a checkpoint name the sensor accepts, and a hidden staging directory
beside the checkpoints that is renamed into place only when everything (the manifest last) is in
it. The checkpoint sensor skips names starting with ".", so it never sees half a checkpoint; a
failed run leaves nothing, and a name that exists is never overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pie_assets.evaluation.checkpoints import NAME, SKIPPED_SUFFIXES


def default_name(method: str, base_short: str, data_version: str, now: datetime) -> str:
    """`<method>-<base>-<data version[:8]>-<UTC time>`: sortable; to the microsecond, so runs
    started together (a sweep over configs) do not collide."""
    return f"{method}-{base_short}-{data_version[:8]}-{now.strftime('%Y%m%dT%H%M%S.%fZ')}"


def check_name(name: str) -> str:
    if not NAME.match(name) or name.endswith(SKIPPED_SUFFIXES):
        raise ValueError(
            f"checkpoint name {name!r} is not one the checkpoint sensor registers "
            f"({NAME.pattern}, not ending in {' or '.join(SKIPPED_SUFFIXES)})"
        )
    return name


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise FileExistsError(f"checkpoint {target} exists; a checkpoint is never overwritten: choose another name")


@contextmanager
def staged(checkpoints_dir: Path, name: str) -> Iterator[Path]:
    """A fresh `.<name>.partial-<random>/` to write into; renamed to `<name>` when the block
    ends without an error, removed when it raises."""
    target = checkpoints_dir / check_name(name)
    _refuse_existing(target)
    checkpoints_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=checkpoints_dir))
    stage.chmod(0o755)  # mkdtemp's 0700 would hide the checkpoint from an evaluation run as another user
    try:
        yield stage
        _refuse_existing(target)
        os.rename(stage, target)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
