"""The `pie` CLI in its own process, as a new user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PIE = [sys.executable, "-m", "pie_assets.cli"]


def pie_env(cwd: Path) -> dict[str, str]:
    """A new user's environment: the Dagster home under `cwd`, no PIE_* source or warehouse."""
    env = {**os.environ, "DAGSTER_HOME": str(cwd / ".dagster")}
    for var in ("PIE_CODENET", "PIE_WAREHOUSE", "PIE_EXTRA_TESTS"):
        env.pop(var, None)
    return env


def pie(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*PIE, *args], cwd=cwd, env=pie_env(cwd), capture_output=True, text=True, timeout=600)
