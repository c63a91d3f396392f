"""The code location as Dagster loads it: it loads with a broken model, every automated asset
has a sensor on by default, every check says what it checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import pie_assets.defs
from pie_assets.code_location import build_defs
from pie_assets.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load(sample_settings: Settings) -> None:
    dg.Definitions.validate_loadable(build_defs(sample_settings))


def test_dg_check_defs_loads_the_location_with_a_broken_model(tmp_path: Path) -> None:
    """`dg check defs` is what a deploy runs: an unparseable model must not fail it."""
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "garbled.sql").write_text("select from where")
    (sql / "fine.sql").write_text("select * from range(3)")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "PIE_SQL_DIR": str(sql), "DAGSTER_HOME": str(home), "PIE_WAREHOUSE": str(tmp_path / "wh")}
    dg_cli = Path(sys.executable).parent / "dg"
    result = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_every_automated_asset_has_a_running_automation_sensor(sample_settings: Settings) -> None:
    defs = build_defs(sample_settings)
    graph = defs.resolve_asset_graph()
    automated = {key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition is not None}
    covered = set().union(
        *(
            sensor.asset_selection.resolve(graph)
            for sensor in defs.sensors or []
            if isinstance(sensor, dg.AutomationConditionSensorDefinition)
            and sensor.default_status == dg.DefaultSensorStatus.RUNNING
        )
    )
    assert {dg.AssetKey("problem_summary"), dg.AssetKey("runtime_annotations")} <= automated
    assert automated <= covered, automated - covered


def test_every_asset_check_has_a_description(sample_settings: Settings) -> None:
    graph = build_defs(sample_settings).resolve_asset_graph()
    assert graph.asset_check_keys
    assert [key for key in graph.asset_check_keys if not graph.get(key).description] == []


def test_every_column_of_every_table_has_a_description(sample_settings: Settings) -> None:
    """The UI's column schema of every table (Python assets' TableDocs and COLUMNS, SQL models' YAML)."""
    graph = build_defs(sample_settings).resolve_asset_graph()
    schemas = {
        key.to_user_string(): graph.get(key).metadata.get("dagster/column_schema") for key in graph.get_all_asset_keys()
    }
    assert schemas["hq_pairs"] is not None and schemas["leaderboard"] is not None
    columns = {
        name: (schema.schema if isinstance(schema, dg.TableSchemaMetadataValue) else schema).columns
        for name, schema in schemas.items()
        if schema is not None
    }
    undescribed = {name: [c.name for c in cols if not (c.description or "").strip()] for name, cols in columns.items()}
    assert {name: columns for name, columns in undescribed.items() if columns} == {}


def test_selfplay_is_automated_only_with_a_model_generator(tmp_path: Path) -> None:
    """With the identity baseline self-play can find nothing, so it is not automated; naming a model
    in [selfplay] generator puts it under selfplay_automation_sensor (settings load at import:
    a fresh interpreter per config)."""
    probe = (
        "from pie_assets.defs.training.selfplay import selfplay_pairs, selfplay_automation_sensor as s\n"
        "import dagster as dg\n"
        "print(selfplay_pairs.get_asset_spec().automation_condition is not None,\n"
        "      s.default_status == dg.DefaultSensorStatus.RUNNING)"
    )
    answers = []
    for generator in ("identity", "my-model"):
        training = tmp_path / f"{generator}.toml"
        training.write_text(f'[selfplay]\ngenerator = "{generator}"\n')
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PIE_TRAINING_CONFIG": str(training)},
        )
        assert out.returncode == 0, out.stderr
        answers.append(out.stdout.split())
    assert answers == [["False", "True"], ["True", "True"]]


def test_the_defs_folder_is_built_only_for_given_settings() -> None:
    """Dagster's autoloader alone has no settings to build the settings-dependent definitions for:
    it fails naming `build_defs`, rather than building them for whatever the environment says."""
    tree = dg.ComponentTree.from_module(defs_module=pie_assets.defs, project_root=ROOT)
    with pytest.raises(Exception) as raised:  # Dagster wraps it, naming the module that failed
        tree.build_defs()
    causes, error = [], raised.value
    while error is not None:
        causes.append(str(error))
        error = error.__cause__ or error.__context__
    assert any("pie_assets.definitions.build_defs(settings)" in cause for cause in causes), causes[-1]


def test_runs_the_sensors_start_execute_their_steps_in_the_run_process(sample_settings: Settings) -> None:
    """One process per run, as `pie run`: the multiprocess executor loaded the code location again
    for every step (the sample's SQL models under `pie ui`: 97 s for 17 s of work)."""
    defs = build_defs(sample_settings)
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.executor_def.name == dg.in_process_executor.name
    assert defs.resolve_job_def("ingest_problems").executor_def.name == dg.in_process_executor.name


def test_a_new_dagster_home_gets_the_local_run_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pie` writes the local instance's dagster.yaml (queue checked every second) into a home
    that has none or holds what earlier versions wrote, and leaves any other one alone."""
    from pie_assets.runner import EARLIER_INSTANCE_CONFIG, LOCAL_INSTANCE_CONFIG, open_instance

    fresh, earlier, own = tmp_path / "fresh", tmp_path / "earlier", tmp_path / "own"
    earlier.mkdir()
    (earlier / "dagster.yaml").write_text(EARLIER_INSTANCE_CONFIG)
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\nrun_queue:\n  max_concurrent_runs: 3\n")
    intervals = {}
    for home in (fresh, earlier, own):
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with open_instance() as instance:
            assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
            intervals[home.name] = instance.run_coordinator.dequeue_interval_seconds
    assert intervals == {"fresh": 1, "earlier": 1, "own": 5}  # 5: Dagster's default
    assert (fresh / "dagster.yaml").read_text() == (earlier / "dagster.yaml").read_text() == LOCAL_INSTANCE_CONFIG
    assert "max_concurrent_runs: 3" in (own / "dagster.yaml").read_text()
