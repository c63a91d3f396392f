"""A default `pie run` materialises only what is missing or stale: on two sample problems (p90006
is the seeded test split, p90001 trains) copied into tmp with every config, the SQL models and a
tiny local checkpoint, each kind of input is changed in turn and exactly what reads it re-runs,
then a second run starts nothing. Real Dagster instance, real sandboxed measurement; the runner in
process, as `pie run` calls it."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from support.model_runs import SMALL_EVALUATION_CONFIG
from support.pie_dataset import write_pie_dataset
from support.tiny_models import build_tiny_causal_lm

from dbt_like.models import DEFAULT_SQL_DIR
from pie_assets.code_location import build_defs
from pie_assets.dataset.config import DEFAULT_DATASET_CONFIG
from pie_assets.runner import RunOutcome, run_pipeline
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH as DEFAULT_SIMULATOR_CONFIG
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings

PROBLEMS = ["p90001", "p90006"]
EDITED = "p90001"
GENERATION = ("prompts", "generations", "generation_runtimes")
PROBLEM_TABLES = ("submissions", "test_cases", "ingest_rejects", "problem_statements")
ENV = ("PIE_EVALUATION_CONFIG", "PIE_SIMULATOR_CONFIG", "PIE_DATASET_CONFIG", "PIE_SQL_DIR")

Ran = set[tuple[str, str | None]]  # (asset, partition) materialised by one run


@dataclass
class Lake:
    root: Path
    settings: Settings
    instance: dg.DagsterInstance

    def run(self) -> tuple[RunOutcome, Ran]:
        """One default (stale-only) run, and what it materialised, read from the instance."""
        mark = self.instance.event_log_storage.get_maximum_record_id() or 0
        runs = self.instance.get_runs_count()
        outcome = run_pipeline(self.settings, self.instance, problems=PROBLEMS, only_stale=True)
        assert outcome.failed_steps == [], outcome.failed_steps
        graph = build_defs(self.settings).resolve_asset_graph()
        ran = {
            (key.to_user_string(), record.partition_key)
            for key in graph.materializable_asset_keys
            for record in self.instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, after_storage_id=mark), limit=10_000
            ).records
        }
        assert bool(ran) == (self.instance.get_runs_count() > runs)  # a run only where something ran
        return outcome, ran

    def downstream(self, *names: str) -> set[str]:
        graph = build_defs(self.settings).resolve_asset_graph()
        keys = dg.AssetSelection.assets(*names).downstream().resolve(graph)
        return {key.to_user_string() for key in keys}

    def assert_warm(self) -> None:
        outcome, ran = self.run()
        assert ran == set(), sorted(ran)
        assert outcome.up_to_date


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Iterator[Lake]:
    root = tmp_path_factory.mktemp("stale")
    shutil.copytree(SAMPLE_CODENET_ROOT, root / "codenet")
    shutil.copytree(SAMPLE_EXTRA_TESTS, root / "pie_tests")
    shutil.copytree(DEFAULT_SQL_DIR, root / "sql")
    (root / "evaluation.toml").write_text(SMALL_EVALUATION_CONFIG)
    shutil.copy(DEFAULT_SIMULATOR_CONFIG, root / "simulator.toml")
    shutil.copy(DEFAULT_DATASET_CONFIG, root / "dataset.toml")
    build_tiny_causal_lm(root / "checkpoints" / "tiny-lm")
    old = {name: os.environ.get(name) for name in ENV}
    os.environ.update(
        PIE_EVALUATION_CONFIG=str(root / "evaluation.toml"),
        PIE_SIMULATOR_CONFIG=str(root / "simulator.toml"),
        PIE_DATASET_CONFIG=str(root / "dataset.toml"),
        PIE_SQL_DIR=str(root / "sql"),
    )
    home = root / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings = Settings(
        codenet_root=str(root / "codenet"),
        warehouse=str(root / "warehouse"),
        extra_tests=str(root / "pie_tests"),
        checkpoints_dir=str(root / "checkpoints"),
        models_file=str(root / "models.toml"),
    )
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            built = Lake(root, settings, instance)
            outcome, ran = built.run()  # cold: everything is missing
            assert outcome.up_to_date == []
            assert {("submissions", p) for p in PROBLEMS} <= ran and ("leaderboard", None) in ran
            assert ("model_evaluations", "tiny-lm") in ran
            yield built
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _assert_only(ran: Ran, allowed: set[str], problems: set[str | None]) -> None:
    """Every materialisation is of an asset in `allowed`; a per-problem one only of `problems`."""
    assert {asset for asset, _ in ran} <= allowed, sorted({a for a, _ in ran} - allowed)
    per_problem = {p for asset, p in ran if p is not None and re.fullmatch(r"p\d+", p)}
    assert per_problem <= problems, per_problem


def test_a_warm_run_with_nothing_changed_starts_no_run(lake):
    outcome, ran = lake.run()
    assert ran == set()
    # Every stage was decided up to date (none skipped for another reason).
    assert "codenet_problem" in outcome.up_to_date and "leaderboard" in outcome.up_to_date
    assert outcome.skipped == []


def test_an_edited_source_file_re_ingests_its_problem_only(lake):
    program = sorted((lake.root / "codenet" / "data" / EDITED / "C++").iterdir())[0]
    program.write_text(program.read_text() + "\n// edited\n")
    _, ran = lake.run()
    _assert_only(ran, lake.downstream("codenet_files"), {EDITED})
    assert {(table, EDITED) for table in PROBLEM_TABLES} <= ran
    assert ("submission_runtimes", EDITED) in ran  # the edited program is measured again
    lake.assert_warm()


def test_an_edited_test_file_re_ingests_and_re_measures_its_problem_only(lake):
    output = lake.root / "pie_tests" / EDITED / "output.0.txt"
    output.write_text(output.read_text() + "\n")  # trailing whitespace: every program still passes
    _, ran = lake.run()
    _assert_only(ran, lake.downstream("codenet_files"), {EDITED})
    assert ("test_cases", EDITED) in ran and ("runtime_annotations", EDITED) in ran
    lake.assert_warm()


def test_an_edited_problem_list_re_runs_problems_and_what_reads_it(lake):
    _edit(lake.root / "codenet" / "metadata" / "problem_list.csv", "p90001,Pair Budget", "p90001,Pair Budget II")
    _, ran = lake.run()
    _assert_only(ran, lake.downstream("problem_list_file"), set())
    assert ("problems", None) in ran
    lake.assert_warm()


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("dataset.toml", "hq_max_per_problem = 4", "hq_max_per_problem = 1"),  # a var the model uses
        ("sql/hq_pairs.sql", "qualify hq_rank <= {{", "qualify hq_rank < {{"),  # one pair less per problem
    ],
    ids=["dataset-var", "sql-file"],
)
def test_an_edited_sql_model_or_its_var_re_runs_it_and_its_downstream_only(lake, file, old, new):
    _edit(lake.root / file, old, new)
    _, ran = lake.run()
    _assert_only(ran, lake.downstream("hq_pairs"), set())
    assert {("hq_pairs", None), ("pie_export", None)} <= ran  # fewer HQ pairs: the export reads them
    lake.assert_warm()


def test_a_changed_simulator_config_re_measures_every_problem_but_ingests_none(lake):
    _edit(lake.root / "simulator.toml", "float_tolerance = 1e-3", "float_tolerance = 2e-3")
    _, ran = lake.run()
    measured = lake.downstream("submission_runtimes", "generated_tests", "generated_test_trials")
    _assert_only(ran, measured, set(PROBLEMS))
    assert {("submission_runtimes", p) for p in PROBLEMS} <= ran
    assert ("model_evaluations", "identity") in ran  # the evaluation measures with it too
    lake.assert_warm()


def test_a_rewritten_checkpoint_directory_re_evaluates_that_checkpoint_only(lake):
    config = lake.root / "checkpoints" / "tiny-lm" / "config.json"
    config.write_text(config.read_text() + "\n")
    _, ran = lake.run()
    _assert_only(ran, lake.downstream(*GENERATION), set())
    assert ("model_evaluations", "tiny-lm") in ran
    assert {p for asset, p in ran if asset in (*GENERATION, "model_evaluations")} <= {"tiny-lm", "tiny-lm|p90006"}
    lake.assert_warm()


def test_a_changed_evaluation_config_re_evaluates_every_checkpoint_only(lake):
    _edit(lake.root / "evaluation.toml", "temperature = 0.7", "temperature = 0.8")
    _, ran = lake.run()
    _assert_only(ran, lake.downstream(*GENERATION), set())
    assert {("model_evaluations", c) for c in ("identity", "human-target", "tiny-lm")} <= ran
    lake.assert_warm()


def test_a_problem_whose_files_left_the_warehouse_is_ingested_again_whatever_the_instance_remembers(lake):
    """The instance outlives a warehouse (one Dagster home, another `--warehouse`; files removed):
    a partition this warehouse does not hold is missing here, and only it runs again."""
    for table in PROBLEM_TABLES:
        shutil.rmtree(lake.root / "warehouse" / table / f"problem_id={EDITED}", ignore_errors=True)
    _, ran = lake.run()
    _assert_only(ran, lake.downstream("codenet_files"), {EDITED})
    assert {(table, EDITED) for table in PROBLEM_TABLES} <= ran
    lake.assert_warm()


def test_an_edited_file_of_pies_release_re_imports_it(tmp_path):
    """`pie_dataset_files` is observed before `pie_pairs` is decided: an edited *.jsonl re-imports
    PIE's release, an unchanged directory does not."""
    dataset = write_pie_dataset(tmp_path / "pie")
    settings = Settings(
        codenet_root=None, warehouse=str(tmp_path / "warehouse"), extra_tests=None, pie_dataset=str(dataset)
    )
    graph = build_defs(settings).resolve_asset_graph()
    assert graph.get(dg.AssetKey("pie_dataset_files")).is_observable

    def imported(instance: dg.DagsterInstance) -> bool:
        mark = instance.event_log_storage.get_maximum_record_id() or 0
        run_pipeline(settings, instance, selection="pie_pairs", only_stale=True)
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("pie_pairs"), after_storage_id=mark), limit=1
        ).records
        return bool(records)

    with dg.instance_for_test() as instance:
        assert imported(instance)  # cold
        assert not imported(instance)  # nothing changed
        with open(dataset / "train.jsonl", "a", encoding="utf-8") as f:
            f.write("\n")
        assert imported(instance)
