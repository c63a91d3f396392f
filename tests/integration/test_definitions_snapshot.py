"""The code location's shape, as a checked-in snapshot (`tests/integration/definitions_snapshot.json`): every
asset's key, group, kinds and tags, its deps, partitions, automation condition, IO manager and
resources; every check; every sensor, schedule and job with what it targets. A change to any of
them shows up as a diff in review, and a refactor that should change nothing (moving the `defs/`
modules) proves it did not.

Code versions are left out: they hash the libraries' source, so any edit would churn the file.

Refresh after an intended change, and review the diff:

    PIE_UPDATE_SNAPSHOT=1 pytest tests/test_definitions_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from pie_assets.code_location import build_defs
from pie_assets.settings import Settings

SNAPSHOT = Path(__file__).resolve().parent / "definitions_snapshot.json"
KIND_TAG = "dagster/kind/"  # kinds are listed on their own


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> Any:
    if partitions_def is None:
        return None
    if isinstance(partitions_def, dg.MultiPartitionsDefinition):
        return {d.name: _partitions(d.partitions_def) for d in partitions_def.partitions_defs}
    name = getattr(partitions_def, "name", None)
    return f"{type(partitions_def).__name__}({name})" if name else type(partitions_def).__name__


def _automation(condition: dg.AutomationCondition | None) -> str | None:
    if condition is None:
        return None
    return condition.get_label() or type(condition).__name__


def _keys(selection: dg.AssetSelection | None, graph) -> list[str]:
    return sorted(key.to_user_string() for key in selection.resolve(graph)) if selection is not None else []


def definitions_snapshot(defs: dg.Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets_def = graph.assets_def_for_key(key)
        assets[key.to_user_string()] = {
            "node": assets_def.node_def.name if assets_def.is_executable else None,  # an external dep: none
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "tags": {name: value for name, value in sorted(node.tags.items()) if not name.startswith(KIND_TAG)},
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": _partitions(node.partitions_def),
            "backfill_policy": str(node.backfill_policy) if node.backfill_policy else None,
            "automation": _automation(node.automation_condition),
            "io_manager": assets_def.get_io_manager_key_for_asset_key(key),
            "resources": sorted(assets_def.required_resource_keys),
            "skippable": node.is_executable and assets_def.specs_by_key[key].skippable,
        }
    checks = {
        f"{key.asset_key.to_user_string()}.{key.name}": {"blocking": graph.get(key).blocking}
        for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    }
    sensors = {
        sensor.name: {
            "type": type(sensor).__name__,
            "default_status": sensor.default_status.value,
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "targets": _keys(sensor.asset_selection, graph),
            "resources": sorted(sensor.required_resource_keys),
        }
        for sensor in sorted(defs.sensors or [], key=lambda s: s.name)
    }
    schedules = {
        schedule.name: {
            "cron": schedule.cron_schedule,
            "default_status": schedule.default_status.value,
            "targets": sorted(
                key.to_user_string() for key in defs.resolve_job_def(schedule.job_name).asset_layer.selected_asset_keys
            ),
            "resources": sorted(schedule.required_resource_keys),
        }
        for schedule in sorted(defs.schedules or [], key=lambda s: s.name)
    }
    jobs = {}
    for job in sorted(defs.jobs or [], key=lambda j: j.name):
        if isinstance(job, dg.JobDefinition):
            jobs[job.name] = {"ops": sorted(node.name for node in job.graph.nodes), "tags": dict(job.tags)}
        else:
            jobs[job.name] = {"assets": _keys(job.selection, graph), "tags": dict(job.tags or {})}
    return {
        "assets": assets,
        "checks": checks,
        "sensors": sensors,
        "schedules": schedules,
        "jobs": jobs,
        "resources": sorted(defs.resources or {}),
    }


def test_definitions_match_the_snapshot(sample_settings: Settings) -> None:
    current = definitions_snapshot(build_defs(sample_settings))
    text = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("PIE_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), f"no snapshot yet: PIE_UPDATE_SNAPSHOT=1 pytest {Path(__file__).name}"
    recorded = json.loads(SNAPSHOT.read_text())
    assert current == recorded, (
        "the definitions changed; if intended, refresh the snapshot and review its diff: "
        f"PIE_UPDATE_SNAPSHOT=1 pytest tests/integration/{Path(__file__).name}"
    )
