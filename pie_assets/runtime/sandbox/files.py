"""A run's files on the host: its private root, the writable work dir, stdin, the read-only
binds, and the files handed back.

The root is a fresh temp dir per run (traversable, not listable, for uid 65534). stdin is a
regular file, as PIE gives gem5 the test's input file: written into the root (outside the work
dir, never bound inside, so the program cannot alter it), opened read-only and inherited as fd 0;
programs may fstat, mmap or lseek it. In the degraded modes, which show the program the host's
files, it is mode 0400 and owned by the harness, so uid 65534 cannot open it (without root there
is no other uid to protect it from).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pie_assets.runtime.fork_lock import writing_executable
from pie_assets.runtime.sandbox.launchers import SANDBOX_GID, SANDBOX_UID, WORK_DIR


def work_dir(root: Path, as_root: bool) -> Path:
    """The private work dir, writable by the sandbox user only; `root` traversable for it."""
    work = root / "work"
    work.mkdir(mode=0o700)
    root.chmod(0o711)
    if as_root:
        os.chown(work, SANDBOX_UID, SANDBOX_GID)
    return work


@contextmanager
def stdin_file(root: Path, data: bytes) -> Iterator[int]:
    """`data` as a read-only fd of a regular file in the run's private root (never bound inside)."""
    path = root / "stdin"
    path.write_bytes(data)
    path.chmod(0o400)
    fd = os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def staged(root: Path, index: int, src: str, as_root: bool) -> str:
    """A host path for `src` that uid 65534 can reach (bwrap resolves bind sources as that
    user): `src` itself, or a read-only copy inside this run's root."""
    if not as_root or _reachable_by_others(src):
        return src
    copy = root / "ro" / str(index)
    copy.parent.mkdir(mode=0o711, exist_ok=True)
    with writing_executable():  # a binary staged here is run next: no fork may hold its write
        if os.path.isdir(src):
            shutil.copytree(src, copy)
        else:
            shutil.copy2(src, copy)
    _make_world_readable(copy)
    return str(copy)


def check_name(name: str) -> str:
    """A name `collect` accepts: a plain file name in the work dir."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"collect takes plain file names in {WORK_DIR}, not {name!r}")
    return name


def collect(work: Path, names: list[str], cap: int) -> dict[str, bytes]:
    """Requested regular files from the work dir. The program controls that dir, so no symlink is
    followed and FIFOs / devices are skipped (we read as root)."""
    files = {}
    for name in names:
        try:
            fd = os.open(work / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as handle:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                files[name] = handle.read(cap)
    return files


def _reachable_by_others(path: str) -> bool:
    """Whether 'other' permission bits let uid 65534 use `path` (ACLs ignored: a miss only copies):
    read it, or, for an exec-only file (no read bit at all), execute it, so that it is bound as it
    is and stays unreadable inside too."""
    resolved = Path(path).resolve()
    if not all(parent.stat().st_mode & stat.S_IXOTH for parent in resolved.parents):
        return False
    mode = resolved.stat().st_mode
    if stat.S_ISDIR(mode):
        return mode & (stat.S_IROTH | stat.S_IXOTH) == stat.S_IROTH | stat.S_IXOTH
    needed = stat.S_IROTH if mode & 0o444 else stat.S_IXOTH
    return mode & needed == needed


def _make_world_readable(path: Path) -> None:
    """a+r (and a+x where anyone had x, and on dirs) on a staged copy, so uid 65534 can use it; an
    exec-only file stays exec-only (a+x)."""
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for item in paths:
        mode = item.stat().st_mode
        execute = stat.S_ISDIR(mode) or mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        if not stat.S_ISDIR(mode) and not mode & 0o444:
            item.chmod(0o111)
        else:
            item.chmod(0o555 if execute else 0o444)
