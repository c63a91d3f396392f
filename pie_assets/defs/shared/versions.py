"""Code versions of assets: the source of the modules that shape their output (dataset, evaluation
and training assets alike)."""

from __future__ import annotations

import hashlib
import inspect
from types import ModuleType


def modules_version(*modules: ModuleType, setting: str = "") -> str:
    """Editing one of `modules`, or changing `setting`, makes the asset stale in the UI."""
    digest = hashlib.sha256(setting.encode() + b"\0")
    for module in modules:
        digest.update(module.__name__.encode() + b"\0" + inspect.getsource(module).encode())
    return digest.hexdigest()[:16]
