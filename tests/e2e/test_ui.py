"""`pie ui` as a new user starts it: the real webserver and daemon on a fresh Dagster home. The
sensors ingest the sample by themselves, declarative automation materialises `problem_summary`,
and the webserver's GraphQL (what the UI's asset pages read) shows every table's row count and
column schema."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support.cli import pie_env
from support.process_group import stop_group

pytestmark = pytest.mark.slow

ASSET_QUERY = """
query Asset($path: [String!]!) {
  assetNodes(assetKeys: [{path: $path}]) {
    metadataEntries { label ... on TableSchemaMetadataEntry { schema { columns { name type description } } } }
    assetMaterializations(limit: 1) {
      partition
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
      }
    }
  }
}
"""
TABLES = (
    "problems",
    "problem_list_rejects",
    "submissions",
    "test_cases",
    "ingest_rejects",
    "problem_statements",
    "problem_summary",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        method="POST",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def _asset(port: int, name: str) -> dict | None:
    nodes = _graphql(port, ASSET_QUERY, {"path": [name]})["assetNodes"]
    return nodes[0] if nodes else None


def _materialized(node: dict | None) -> dict | None:
    return node["assetMaterializations"][0] if node and node["assetMaterializations"] else None


def test_pie_ui_shows_row_counts_and_columns_and_automation_builds_the_summary(tmp_path: Path):
    port = _free_port()
    env = pie_env(tmp_path)
    # Measuring runtimes is not under test here: an empty status list makes the runtime step instant.
    config = tmp_path / "simulator.toml"
    from pie_assets.runtime.config import DEFAULT_CONFIG_PATH

    config.write_text(re.sub(r"statuses = \[[^\]]*\]", "statuses = []", DEFAULT_CONFIG_PATH.read_text()))
    env["PIE_SIMULATOR_CONFIG"] = str(config)
    with open(tmp_path / "ui.log", "w") as log:  # the UI keeps its own copy of the descriptor
        ui = subprocess.Popen(
            [sys.executable, "-m", "pie_assets.cli", "ui", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 480
        nodes: dict[str, dict | None] = {}
        while time.monotonic() < deadline:
            time.sleep(5)
            assert ui.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
            try:
                nodes = {name: _asset(port, name) for name in TABLES}
            except OSError:
                continue  # the webserver is not up yet
            if all(_materialized(node) for node in nodes.values()):
                break
        missing = [name for name, node in nodes.items() if not _materialized(node)]
        assert not missing, (
            f"never materialised by the sensors: {missing}\n" + (tmp_path / "ui.log").read_text()[-3000:]
        )
        for name, node in nodes.items():
            entries = {e["label"]: e for e in _materialized(node)["metadataEntries"]}
            assert entries["dagster/row_count"]["intValue"] is not None, (name, entries)
            # The columns the asset page shows: declared on the definition, and recorded by each materialisation.
            schema = entries["dagster/column_schema"]["schema"]
            assert schema["columns"] and all(c["type"] for c in schema["columns"]), name
            if name != "problem_summary":  # a SQL model's columns are known once its view binds
                declared = next(e["schema"] for e in node["metadataEntries"] if e["label"] == "dagster/column_schema")
                assert declared == schema and all(c["description"] for c in schema["columns"]), name
        summary = {e["label"]: e.get("intValue") for e in _materialized(nodes["problem_summary"])["metadataEntries"]}
        assert summary["dagster/row_count"] == 7  # the sample's problems
        startup = (tmp_path / "ui.log").read_text()
        assert "warehouse:" in startup and "dagster home:" in startup and "'pie_assets'" in startup
        assert f"Dagster UI: http://127.0.0.1:{port}\n" in startup
        assert "SupersessionWarning" not in startup  # `dagster dev` is superseded by `dg dev`
    finally:
        stop_group(ui)
