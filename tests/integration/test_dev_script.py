"""`scripts/dev.sh`, the README's two commands: on a machine that lacks a system package and cannot
install it (no root or sudo, or no apt-get) it names what to install and goes on; an unknown
command is refused with its usage. Real bash processes on the real script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "dev.sh"


def bash(snippet: str, path: str) -> subprocess.CompletedProcess[str]:
    """`snippet` after sourcing the script, with PATH set to `path` (bash itself is called by its path)."""
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", f". {SCRIPT}; {snippet}"],
        cwd=ROOT,
        env={"PATH": path, "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def tools_dir(tmp_path: Path, names: list[str]) -> str:
    """A PATH directory holding only links to the named tools (those this machine has)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in [*names, "id", "cat", "sha256sum", "cut"]:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    return str(bin_dir)


def test_missing_packages_are_named_when_they_cannot_be_installed(tmp_path: Path) -> None:
    path = tools_dir(tmp_path, ["valgrind"])  # no g++, no bwrap, no apt-get, no sudo
    result = bash("PIE_PG_BIN=/x system_packages; echo rc=$?", path)
    assert result.stdout.strip().endswith("rc=0"), result.stderr  # it goes on
    assert "missing system packages: g++ bubblewrap" in result.stderr
    assert "apt-get install -y g++ valgrind bubblewrap postgresql" in result.stderr
    assert "valgrind" not in result.stderr.split("missing system packages:")[1].split("(")[0]


def test_nothing_missing_installs_nothing(tmp_path: Path) -> None:
    names = ["g++", "valgrind", "bwrap"]
    if not all(shutil.which(n) for n in names):
        pytest.skip("needs g++, valgrind and bwrap installed (apt-get install -y g++ valgrind bubblewrap)")
    result = bash("PIE_PG_BIN=/x system_packages; echo rc=$?", tools_dir(tmp_path, names))
    assert result.stdout.strip() == "rc=0"
    assert result.stderr == ""


def test_an_unknown_command_is_refused_with_the_usage() -> None:
    result = subprocess.run([str(SCRIPT), "nonsense"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "usage: scripts/dev.sh sample|test|check|docs|install" in result.stderr
