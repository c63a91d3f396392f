"""One code location name everywhere a user can start Dagster from: `pie ui`, workspace.yaml, dg."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from pie_assets.settings import CODE_LOCATION, DEFINITIONS_MODULE

ROOT = Path(__file__).resolve().parents[2]


def test_workspace_pyproject_and_pie_ui_share_the_location_name():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]
    assert (module["module_name"], module["location_name"]) == (DEFINITIONS_MODULE, CODE_LOCATION)
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert tool["dg"]["project"]["code_location_name"] == CODE_LOCATION
    assert tool["dg"]["project"]["code_location_target_module"] == DEFINITIONS_MODULE
    assert (tool["dagster"]["module_name"], tool["dagster"]["code_location_name"]) == (
        DEFINITIONS_MODULE,
        CODE_LOCATION,
    )
