"""Our init (`init.c`, shipped beside this module): built on first use, cached by content, and
spoken to through its command line and its one-line report.

The binary is static (it needs nothing inside the sandbox) and keyed by the source's hash, the
compiler's identity and the flags in a `ContentStore` (kind "sandbox-init"), so a machine compiles
it once per version of `init.c`, not once per `Sandbox`. Each `Sandbox` runs a private link (or
copy) of it in a directory uid 65534 can traverse: the cache may sit under a home directory that
user cannot enter, and bubblewrap resolves bind sources as that user.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pie_assets.runtime.fork_lock import spawning, writing_executable
from pie_assets.runtime.sandbox.errors import SandboxUnavailable
from pie_assets.runtime.sandbox.limits import MB, Limits
from pie_assets.runtime.store import ContentStore
from pie_assets.runtime.toolchain import compiler_identity
from pie_assets.settings import user_cache_root

SOURCE = "init.c"
COMPILER = "gcc"
FLAGS = ("-std=gnu17", "-O2", "-static")
STORE_KIND = "sandbox-init"
# The init's stages of starting a program (its enum), as the error message names them.
_STAGES = {1: "set the rlimits of", 2: "turn address randomisation off for", 3: "execute"}


@dataclass(frozen=True)
class Report:
    """What our init saw: the program's wait status and its reaped tree's usage, or which step of
    starting it failed (`stage`, the init's enum: 0 = started) with the errno."""

    status: int
    cpu_s: float
    max_rss_kb: int
    stage: int = 0
    errno: int = 0

    @classmethod
    def parse(cls, text: bytes | bytearray) -> Report | None:
        """The init's line "STATUS UTIME_US STIME_US MAXRSS_KB STAGE ERRNO"; None when it wrote none."""
        try:
            status, utime_us, stime_us, max_rss_kb, stage, errno = (int(v) for v in text.split())
        except ValueError:
            return None
        return cls(status, (utime_us + stime_us) / 1e6, max_rss_kb, stage, errno)

    def not_started(self, program: str) -> str | None:
        """What the init could not do to start `program`, with the cause; None once it started."""
        if not self.stage:
            return None
        what = _STAGES.get(self.stage, f"start (stage {self.stage})")
        return f"cannot {what} {program}: {os.strerror(self.errno)}"


def init_args(init: str, report_fd: int, limits: Limits) -> list[str]:
    """Our init's command line: where to report, the rlimits for the program, then the program."""
    sizes = (limits.address_space_mb * MB, limits.file_size_mb * MB, limits.processes)
    return [init, str(report_fd), str(limits.rlimit_cpu_s), *map(str, sizes), "--"]


def private_init(directory: Path, cache_root: str | None = None) -> str:
    """The cached init (built first if needed) linked into `directory`, which is made traversable
    for uid 65534; a copy where the file systems differ."""
    cached = cached_init(cache_root or user_cache_root())
    directory.chmod(0o711)
    target = directory / "init"
    try:
        os.link(cached, target)
    except OSError:
        with writing_executable():  # run next: no fork may hold its write descriptor
            shutil.copyfile(cached, target)
        target.chmod(0o755)
    return str(target)


def cached_init(cache_root: str) -> str:
    """The init binary for this `init.c` and compiler in the store under `cache_root`."""
    source = resources.files(__package__).joinpath(SOURCE).read_bytes()
    try:
        identity = compiler_identity(COMPILER)
    except (OSError, subprocess.CalledProcessError) as err:
        raise SandboxUnavailable(f"cannot build the sandbox init: install {COMPILER} ({err})") from err
    key = hashlib.sha256(f"{hashlib.sha256(source).hexdigest()}|{identity}|{' '.join(FLAGS)}".encode()).hexdigest()
    store = ContentStore(cache_root, STORE_KIND)
    if not os.path.exists(store.blob_path(key)):
        binary = _compile(source)
        try:
            store.put_blob(key, binary)
        except OSError as err:
            raise SandboxUnavailable(f"cannot cache the sandbox init under {cache_root}: {err}") from err
    return store.blob_path(key)


def _compile(source: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="pie-sandbox-init-") as build:
        src, binary = Path(build, SOURCE), Path(build, "init")
        src.write_bytes(source)
        with spawning():
            compiled = subprocess.run([COMPILER, *FLAGS, "-o", str(binary), str(src)], capture_output=True, text=True)
        if compiled.returncode != 0:
            raise SandboxUnavailable(f"cannot build the sandbox init: {compiled.stderr[-500:]}")
        return binary.read_bytes()
