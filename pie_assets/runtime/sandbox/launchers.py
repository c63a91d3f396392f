"""The modes: how one containment starts our init, and what the program sees from inside.

"bwrap": bubblewrap with every namespace unshared (no network, private pids), a read-only /usr, a
private tmpfs /tmp, and one writable host temp dir bound at the fixed path /sandbox/work (the cwd);
nothing else is writable. Our init is bound at /sandbox/init and runs as pid 1.

"unshare (degraded)": the same init, rlimits, uid drop and ASLR-off, plus util-linux `unshare`
namespaces where permitted. The filesystem is NOT isolated there (the program can write wherever
uid 65534 may; its paths are translated to the host's), so it is announced with a loud warning
and recorded in every measured row.

Every command starts with our init's guard mode, which dies with the harness (`init.c`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pie_assets.runtime.sandbox.init import init_args
from pie_assets.runtime.sandbox.limits import MB, Limits

log = logging.getLogger(__name__)

SANDBOX_UID = SANDBOX_GID = 65534
WORK_DIR = "/sandbox/work"
INIT_PATH = "/sandbox/init"
# Identical for every run: the environment's size shifts stack addresses and instruction counts.
FIXED_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": WORK_DIR, "PWD": WORK_DIR}
BWRAP = "bwrap"
DEGRADED = "unshare (degraded)"
# Host paths the sandbox sees read-only (if present): toolchain, loader, and `cc`/`c++` links.
_SYSTEM_PATHS = ("/usr", "/bin", "/lib", "/lib64", "/etc/alternatives")
_UNSHARE_NS = ("--net", "--pid", "--fork", "--kill-child", "--ipc", "--uts", "--mount", "--mount-proc")

_warned = False
_warn_lock = threading.Lock()


@dataclass(frozen=True)
class Launcher:
    """How one containment starts our init."""

    mode: str  # BWRAP or DEGRADED
    description: str
    unshare: tuple[str, ...] = ()  # degraded: namespace prefix before the init
    drop_uid: bool = True  # Popen becomes 65534 on the host before exec (we are root)
    pid_namespace: bool = True  # our init is pid 1: unkillable from inside, takes the tree along

    def command(
        self,
        init: str,
        argv: Sequence[str],
        work: Path,
        binds: list[tuple[str, str]],
        limits: Limits,
        report_fd: int,
    ) -> list[str]:
        """The full host command: parent-death guard (our init's guard mode), containment, our init
        (limits), program. `argv` names paths as seen inside; `binds` are (host, inside) pairs."""
        guard = [init, "--guard", str(os.getpid()), "--"]
        if self.mode == BWRAP:
            init_binds = [*binds, (init, INIT_PATH)]
            return [*guard, *_bwrap_args(work, init_binds, limits), *init_args(INIT_PATH, report_fd, limits), *argv]
        mapping = {dest: src for src, dest in binds} | {WORK_DIR: str(work)}
        return [*guard, *self.unshare, *init_args(init, report_fd, limits), *_translate(argv, mapping)]


def candidates(mode: str, as_root: bool) -> list[Launcher]:
    """The candidates for `mode` ('auto', 'bwrap' or 'unshare'), most contained first."""
    if mode not in ("auto", "bwrap", "unshare"):
        raise ValueError(f"unknown sandbox mode {mode!r}")
    candidates = [Launcher(BWRAP, "bubblewrap", drop_uid=as_root)] if mode != "unshare" else []
    return candidates + (_degraded_launchers(as_root) if mode != "bwrap" else [])


def warn_degraded(launcher: Launcher, failures: list[str]) -> None:
    """Once per process: the loud warning that programs run without filesystem isolation."""
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    log.warning(
        "SANDBOX DEGRADED: untrusted programs run with %s (rlimits, uid 65534, no ASLR) and NO "
        "filesystem isolation; results are marked %r. Better modes failed: %s",
        launcher.description,
        DEGRADED,
        "; ".join(failures) or "not tried (mode='unshare' forced)",
    )


def _bwrap_args(work: Path, binds: list[tuple[str, str]], limits: Limits) -> list[str]:
    args = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_GID),
        "--hostname", "sandbox",
        "--clearenv",
    ]  # fmt: skip
    for key, value in FIXED_ENV.items():
        args += ["--setenv", key, value]
    args += _system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(4 * limits.file_size_mb * MB), "--tmpfs", "/tmp"]
    args += ["--bind", str(work), WORK_DIR]
    for src, dest in binds:
        args += ["--ro-bind", src, dest]
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORK_DIR, "--"]
    return args


def _system_mounts() -> list[str]:
    """Read-only system paths, mirrored as the host has them (usr-merged symlinks or directories)."""
    args: list[str] = []
    for path in _SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _degraded_launchers(root: bool) -> list[Launcher]:
    """Fallbacks, most contained first; without root there is no uid to drop to, so only userns."""
    user_ns = ("unshare", "--user", f"--map-user={SANDBOX_UID}", f"--map-group={SANDBOX_GID}", *_UNSHARE_NS, "--")
    degraded = [Launcher(DEGRADED, "unshare in a user namespace", user_ns, drop_uid=root)]
    if root:
        as_root = ("unshare", *_UNSHARE_NS, "--setuid", str(SANDBOX_UID), "--setgid", str(SANDBOX_GID), "--")
        degraded.append(Launcher(DEGRADED, "unshare as root, then uid 65534", as_root, drop_uid=False))
        degraded.append(Launcher(DEGRADED, "rlimits and uid 65534 only", (), pid_namespace=False))
    return degraded


def _translate(argv: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """Sandbox paths in argv → host paths, for modes without a private mount tree."""
    out = []
    for arg in argv:
        for dest in sorted(mapping, key=len, reverse=True):
            if arg == dest or arg.startswith(dest.rstrip("/") + "/"):
                arg = mapping[dest] + arg[len(dest) :]
                break
        out.append(arg)
    return out
