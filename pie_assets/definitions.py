"""The code location: `dagster dev -w workspace.yaml`, `dg dev`, and `pie run` load this.

The definitions for the settings of the environment (`pie_assets.code_location.build_defs`).
"""

from __future__ import annotations

from pie_assets.code_location import build_defs
from pie_assets.settings import Settings

__all__ = ["build_defs", "defs"]

defs = build_defs(Settings.resolve())
