"""The real data of ../shared beside the project (CI provides it); tests that need it skip without it."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or a clean skip saying what is missing."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared data {path} is absent (CI provides ../shared beside the project)")
    return path
