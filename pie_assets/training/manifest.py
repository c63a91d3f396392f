"""A checkpoint's `manifest.json`: what it was trained from and how, written last into the
staging directory, so a checkpoint with a manifest is a complete one."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
LIBRARIES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets")


def library_versions() -> dict[str, str | None]:
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {name: installed(name) for name in LIBRARIES}


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    path = directory / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
