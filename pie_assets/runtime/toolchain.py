"""Which compiler a build used: part of the key of everything a compiler builds and caches (programs,
precompiled headers, the sandbox's init)."""

from __future__ import annotations

import functools
import os
import subprocess

from pie_assets.runtime.fork_lock import spawning


@functools.cache
def compiler_identity(compiler: str) -> str:
    """`<compiler> -dumpfullversion` plus the resolved driver path."""
    with spawning():
        version = subprocess.run([compiler, "-dumpfullversion"], capture_output=True, text=True, check=True).stdout
        path = subprocess.run(["sh", "-c", f"command -v {compiler}"], capture_output=True, text=True).stdout
    return f"{os.path.realpath(path.strip())} {version.strip()}"
