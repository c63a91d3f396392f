"""Simulator profiles through the CLI: `pie measure --profile pie-parity` builds as PIE did
(dynamic, not stripped), labels the row with its profile, and keeps its own cache entries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pie_assets.runtime.config import SimulatorConfig

HELLO = '#include <iostream>\nint main() { std::cout << "hello" << std::endl; }\n'


def _measure(tmp_path: Path, *flags: str) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pie_assets.cli",
            "measure",
            str(tmp_path / "hello.cpp"),
            "--input",
            str(tmp_path / "in.txt"),
            "--warehouse",
            str(tmp_path / "wh"),
            "--json",
            *flags,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _elf_is_dynamic(path: Path) -> bool:
    return b".interp" in path.read_bytes()  # the section naming the dynamic loader


def test_pie_parity_builds_dynamically_and_says_so_in_every_row(tmp_path):
    (tmp_path / "hello.cpp").write_text(HELLO)
    (tmp_path / "in.txt").write_text("")
    static = _measure(tmp_path)
    parity = _measure(tmp_path, "--profile", "pie-parity")
    assert (static["profile"], parity["profile"]) == ("static", "pie-parity")
    assert (static["config_hash"], parity["config_hash"]) == (
        SimulatorConfig.load().hash,
        SimulatorConfig.load(profile="pie-parity").hash,
    )
    assert static["status"] == parity["status"] == "OK"
    assert static["binary_sha256"] != parity["binary_sha256"]
    # The dynamic loader's work is in PIE's labels: an iostream hello world under valgrind runs
    # ~1.8M instructions dynamically, ~67k statically (docs/concepts/profiles.md).
    assert parity["instructions"] > 10 * static["instructions"]
    blobs = {path.name: path for path in (tmp_path / "wh" / "_cache" / "compile").rglob("*.bin")}
    assert sorted(_elf_is_dynamic(path) for path in blobs.values()) == [False, True]
    # An environment variable chooses it too (the UI's code server gets it so).
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "pie_assets.cli",
            "measure",
            str(tmp_path / "hello.cpp"),
            "--input",
            str(tmp_path / "in.txt"),
            "--warehouse",
            str(tmp_path / "wh"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PIE_PROFILE": "pie-parity"},
    )
    assert json.loads(again.stdout)["instructions"] == parity["instructions"]
