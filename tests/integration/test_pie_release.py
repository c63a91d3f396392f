"""PIE's release as a first-class source: PIE's files alone (test.jsonl and merged_test_cases, no
CodeNet tree) give problem partitions, measured programs and the evaluation on PIE's pairs; a
merged test no row lists is never run; a missing input fails once, saying what to give. The CLI
in its own processes, real g++ / valgrind / bubblewrap, a real Dagster instance."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.model_runs import rows
from support.pie_release import PAIRS, SUM_FORMULA, SUM_LOOP, TESTS, UNLISTED, write_pie_release

from pie_assets.code_location import build_defs
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.test_cases import collect_test_cases
from pie_assets.dataset.config import DatasetConfig
from pie_assets.dataset.pie_import import read_pie_dataset
from pie_assets.dataset.pie_problems import pie_submissions, pie_tests
from pie_assets.defs.codenet.sensors import codenet_problem_sensor
from pie_assets.defs.shared.partitions import PROBLEMS
from pie_assets.evaluation.pie_agreement import runtime_agreement
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings


def _pie(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env["DAGSTER_HOME"] = str(tmp_path / ".dagster")
    return subprocess.run(
        [sys.executable, "-m", "pie_assets.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _unlisted_inputs() -> set[str]:
    return {hashlib.sha256(TESTS[p][n][0].encode()).hexdigest() for p, n in UNLISTED.items()}


def _evaluation(warehouse: Path, checkpoint: str, mode: str = "full") -> dict:
    found = rows(
        warehouse, f"select to_json(e) from model_evaluations e where checkpoint = '{checkpoint}' and mode = '{mode}'"
    )
    assert len(found) == 1, found
    return json.loads(found[0][0])


@pytest.mark.slow
def test_pie_files_alone_are_ingested_measured_and_evaluated(tmp_path: Path) -> None:
    dataset, merged = write_pie_release(tmp_path)
    warehouse = tmp_path / "wh"
    run = _pie(
        tmp_path,
        "run",
        "--quiet",
        "--codenet",
        "none",
        "--pie-dataset",
        str(dataset),
        "--extra-tests",
        str(merged),
        "--eval-pairs",
        "pie",
        "--warehouse",
        str(warehouse),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "codenet:   none" in run.stdout

    # The problems of pie_pairs are partitions; their programs are submissions keyed by PIE's ids.
    assert rows(warehouse, "select distinct problem_id from submissions order by 1") == [("p00001",), ("p00002",)]
    programs = {(p, pair[i]) for p, pairs in PAIRS.items() for pair in pairs for i in (0, 1)}
    found = rows(warehouse, "select problem_id, program_id, source, outcome_class from candidate_programs")
    assert {(p, i) for p, i, _, _ in found} == programs and len(found) == len(programs)
    assert {(source, outcome) for _, _, source, outcome in found} == {("human", "all_pass")}
    assert rows(warehouse, "select count(*) from problems") == [(0,)]

    # Each problem's runtime tests: the union of its rows' `tests`; the unlisted one is a test_cases
    # row but was never run (its expected output fails every program: identity's 100% says so too).
    measured = rows(
        warehouse,
        "select problem_id, list(distinct test_id order by test_id) from runtime_annotations group by 1 order by 1",
    )
    assert measured == [
        ("p00001", ["extra_dir_0", "extra_dir_1", "extra_dir_2"]),
        ("p00002", ["extra_dir_0", "extra_dir_1"]),
    ]
    assert rows(
        warehouse,
        "select count(*) from runtime_annotations where input_sha256 in "
        f"({', '.join(repr(h) for h in _unlisted_inputs())})",
    ) == [(0,)]
    assert sorted(rows(warehouse, "select problem_id, test_id from test_cases where runtime_test_id is null")) == [
        ("p00001", "extra_dir_3"),
        ("p00002", "extra_dir_5"),
    ]
    assert rows(warehouse, "select distinct n_tests from generation_runtimes where problem_id = 'p00001'") == [(3,)]

    # PIE's metrics on PIE's three test pairs, every program measured here.
    identity = _evaluation(warehouse, "identity")
    assert (identity["n_pairs"], identity["speedup"], identity["pct_correct"]) == (3, 1.0, 100.0)
    target = _evaluation(warehouse, "human-target")
    costs = dict(rows(warehouse, "select submission_id, agg_cost from submission_runtimes"))
    expected = sum(costs[src] / costs[tgt] for pairs in PAIRS.values() for src, tgt, *_ in pairs) / 3
    assert target["pct_correct"] == 100.0 and target["clipped"] is False
    assert target["speedup"] == pytest.approx(expected) and target["speedup"] > 1.0
    assert rows(warehouse, "select distinct pair_source from eval_pairs") == [("pie_pairs",)]

    # How far the labels here are from PIE's on PIE's programs: every pair measured, each problem and
    # overall; the direction on each pair as computed here from both labels.
    agreement = {
        r[0]: r[1:]
        for r in rows(
            warehouse,
            "select scope, n_pairs, n_programs, direction_agreement, profile, backend from pie_runtime_agreement",
        )
    }
    assert set(agreement) == {"p00001", "p00002", "all"}
    assert agreement["all"][:2] == (3, 6) and agreement["p00001"][:2] == (2, 4)
    assert agreement["all"][3:] == ("static", "cachegrind")
    pie_runtimes = {pair[i]: pair[6 + i] for pairs in PAIRS.values() for pair in pairs for i in (0, 1)}
    same_side = [
        (pie_runtimes[src] / pie_runtimes[tgt] >= 1.1) == (costs[src] / costs[tgt] >= 1.1)
        for pairs in PAIRS.values()
        for src, tgt, *_ in pairs
    ]
    assert agreement["all"][2] == pytest.approx(sum(same_side) / 3)
    instance = dg.DagsterInstance.from_config(str(tmp_path / ".dagster"))
    event = instance.get_latest_materialization_event(dg.AssetKey("pie_runtime_agreement"))
    metadata = event.asset_materialization.metadata
    assert metadata["dagster/row_count"].value == 3 and metadata["overall_n_pairs"].value == 3
    assert metadata["plots"].value == "[1 plot, in the Events tab](/assets/pie_runtime_agreement?view=events)"
    plots = instance.fetch_observations(dg.AssetKey("pie_runtime_agreement"), limit=1).records[0]
    assert plots.asset_observation.description.startswith(
        "**labels here vs PIE's**\n\n![labels here vs PIE's](data:image/png;base64,"
    )

    # `pie eval` on PIE's pairs, in fast mode: one pair per problem.
    again = _pie(
        tmp_path,
        "eval",
        "--quiet",
        "--model",
        "human-target",
        "--eval-pairs",
        "pie",
        "--fast",
        "--warehouse",
        str(warehouse),
    )
    assert again.returncode == 0, again.stdout + again.stderr
    fast = _evaluation(warehouse, "human-target", "fast")
    assert (fast["n_pairs"], fast["pct_correct"]) == (2, 100.0)
    assert rows(
        warehouse,
        "select count(*) from runtime_annotations where input_sha256 in "
        f"({', '.join(repr(h) for h in _unlisted_inputs())})",
    ) == [(0,)]


@pytest.mark.slow
def test_without_pies_tests_the_run_fails_once_naming_what_to_give(tmp_path: Path) -> None:
    dataset, _ = write_pie_release(tmp_path)
    run = _pie(
        tmp_path,
        "run",
        "--quiet",
        "--codenet",
        "none",
        "--pie-dataset",
        str(dataset),
        "--eval-pairs",
        "pie",
        "--warehouse",
        str(tmp_path / "wh"),
    )
    assert run.returncode == 1
    failures = run.stderr.split("step(s) failed")[1].strip().splitlines()[1:]
    assert len(failures) == 1, run.stderr
    assert failures[0].strip().startswith("codenet_problem: 2 of 2 partitions failed")
    assert (
        "no test cases for p00001: give --extra-tests (or $PIE_EXTRA_TESTS) with PIE's merged_test_cases" in failures[0]
    )
    output = run.stdout + run.stderr
    assert "Catalog Error" not in output and "does not bind" not in output and "has no partition" not in output
    for stage in ("problem_runtimes", "eval_pairs", "checkpoint_generation", "model_evaluations", "leaderboard"):
        assert f"skipped {stage}: not run, as problem_statements, submissions, test_cases failed above" in run.stdout, (
            stage
        )
    reasons = rows(tmp_path / "wh", "select problem_id, reason from ingest_rejects where table_name = 'test_cases'")
    assert sorted(p for p, _ in reasons) == ["p00001", "p00002"]

    # `pie eval --eval-pairs pie` on a warehouse that never imported PIE's dataset: one failure naming it.
    bare = str(tmp_path / "bare")
    assert (
        _pie(tmp_path, "run", "--quiet", "--codenet", "none", "--select", "problems", "--warehouse", bare).returncode
        == 0
    )
    evaluation = _pie(tmp_path, "eval", "--quiet", "--model", "identity", "--eval-pairs", "pie", "--warehouse", bare)
    assert evaluation.returncode == 1
    lines = evaluation.stderr.splitlines()
    assert lines[0].startswith(
        "eval_pairs: ValueError: SQL model 'eval_pairs' does not bind (its input pie_pairs is "
        "not in the warehouse: materialise it first)"
    )
    assert lines[1:] == [
        "checkpoint_generation: not run, as eval_pairs failed above",
        "model_evaluations: not run, as eval_pairs failed above",
    ]


def test_the_sensor_discovers_pies_problems_without_codenet(tmp_path: Path, monkeypatch) -> None:
    """The UI route: with PIE_CODENET=none the code location loads; once pie_pairs is in the lake,
    codenet_problem_sensor adds its problems and requests their ingestion and `problems` once."""
    dataset, merged = write_pie_release(tmp_path)
    monkeypatch.setenv("PIE_CODENET", "none")
    settings = Settings.resolve(warehouse=str(tmp_path / "wh"), extra_tests=str(merged), pie_dataset=str(dataset))
    assert settings.codenet_root is None and settings.extra_tests == str(merged)
    defs = build_defs(settings)
    dg.Definitions.validate_loadable(defs)
    instance = dg.DagsterInstance.ephemeral()
    resources = dict(defs.resources)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        empty = codenet_problem_sensor(context)
    assert instance.get_dynamic_partitions(PROBLEMS) == []  # no tree, no import yet: only `problems`, once
    assert [r.asset_selection for r in empty.run_requests] == [
        [dg.AssetKey("problems"), dg.AssetKey("problem_list_rejects")]
    ]

    assert dg.materialize(
        list(defs.assets), instance=instance, resources=resources, selection=["pie_pairs", "pie_pairs_rejects"]
    ).success
    with dg.build_sensor_context(instance=instance, resources=resources, cursor=empty.cursor) as context:
        result = codenet_problem_sensor(context)
    assert instance.get_dynamic_partitions(PROBLEMS) == ["p00001", "p00002"]  # registered by the sensor
    (request,) = result.run_requests  # `problems` is not requested again
    assert dg.materialize(
        list(defs.assets), instance=instance, resources=resources, selection=request.asset_selection, tags=request.tags
    ).success
    assert instance.get_materialized_partitions(dg.AssetKey("test_cases")) == {"p00001", "p00002"}
    assert rows(tmp_path / "wh", "select count(*) from submissions") == [(6,)]


def test_pies_tests_restrict_the_runtime_set_and_conflicting_programs_are_rejected(tmp_path: Path) -> None:
    dataset, merged = write_pie_release(tmp_path)
    pairs, _ = read_pie_dataset(str(dataset))
    first = pairs.filter(pl.col("problem_id") == "p00001")
    assert pie_tests(first) == {0, 1, 2} and pie_tests(first.with_columns(tests=None)) is None
    tests, rejects = collect_test_cases(None, "p00001", str(merged), {0, 1, 2, 9})
    assert dict(tests.select("test_id", "runtime_test_id").iter_rows()) == {
        "extra_dir_0": "extra_dir_0",
        "extra_dir_1": "extra_dir_1",
        "extra_dir_2": "extra_dir_2",
        "extra_dir_3": None,
    }
    assert [r.reason for r in rejects] == [
        "PIE's tests field lists test 9, which has no input.9.txt / output.9.txt pair"
    ]
    assert tests.filter(pl.col("test_id") == "extra_dir_1")["source_path"][0] == str(merged / "p00001" / "input.1.txt")
    # A problem of the CodeNet tree: PIE's tests restrict its extra tests too, its page samples
    # and derived test are kept as rows and never run; without them, every distinct input runs.
    layout = CodeNetLayout(str(SAMPLE_CODENET_ROOT))
    restricted, _ = collect_test_cases(layout, "p90001", str(SAMPLE_EXTRA_TESTS), {0, 2})
    assert set(restricted["runtime_test_id"].drop_nulls()) == {"extra_dir_0", "extra_dir_2"}
    assert {"html_sample", "codenet_derived"} <= set(restricted["origin"])
    everything, _ = collect_test_cases(layout, "p90001", str(SAMPLE_EXTRA_TESTS))
    assert everything["runtime_test_id"].n_unique() > 2 and everything.height == restricted.height

    # s000000002 again with other code, and a status CodeNet never gives: rejected, the rest kept.
    extra = first.head(1).with_columns(
        src_id=pl.lit("s000000099"), src_status=pl.lit("Maybe"), tgt_code=pl.lit(SUM_LOOP), line=pl.lit(9, pl.Int64)
    )
    submissions, rejected = pie_submissions(pl.concat([first, extra]), "p00001")
    assert sorted(submissions["submission_id"]) == ["s000000001", "s000000002", "s000000003", "s000000004"]
    code = submissions.filter(pl.col("submission_id") == "s000000002").row(0, named=True)
    assert code["code"] == SUM_FORMULA and code["code_sha256"] == hashlib.sha256(SUM_FORMULA.encode()).hexdigest()
    assert code["source_path"] == "test.jsonl:1#tgt_code" and code["user_id"] == "u000000001"
    assert code["submitted_at"] is None and code["status"] == "Accepted"
    assert sorted(r.reason for r in rejected) == [
        "s000000002 has another code at test.jsonl:1#tgt_code; the first is kept",
        "s000000099: src_status 'Maybe' is not one of CodeNet's verdicts",
    ]


def test_eval_pairs_flag_overrides_the_config_var_for_one_command(tmp_path: Path) -> None:
    config = DatasetConfig.load()
    assert config.var("eval_pairs_from") == "lake"
    chosen = config.with_vars(eval_pairs_from="pie")
    assert chosen.var("eval_pairs_from") == "pie" and chosen.hash != config.hash and config.with_vars() is config
    with pytest.raises(KeyError, match="no_such_var"):
        config.with_vars(no_such_var=1)
    settings = Settings(codenet_root=None, warehouse=str(tmp_path / "wh"), extra_tests=None, eval_pairs="pie")
    deps = build_defs(settings).resolve_asset_graph().get(dg.AssetKey("eval_pairs")).parent_keys
    assert dg.AssetKey("pie_pairs") in deps and dg.AssetKey("trajectory_pairs") not in deps
    plain = build_defs(dataclasses.replace(settings, eval_pairs=None)).resolve_asset_graph()
    assert dg.AssetKey("trajectory_pairs") in plain.get(dg.AssetKey("eval_pairs")).parent_keys


def test_runtime_agreement_by_hand() -> None:
    """The agreement's numbers on pairs small enough to check by hand."""
    pairs = pl.DataFrame(
        {
            "problem_id": ["p1", "p1", "p2", "p2"],
            "src_id": ["a", "b", "c", "d"],
            "tgt_id": ["b", "e", "d", "f"],
            "src_agg_runtime": [4.0, 2.0, 1.0, 3.0],
            "tgt_agg_runtime": [2.0, 1.0, 3.0, 1.5],
        }
    )
    costs = pl.DataFrame({"program_id": ["a", "b", "c", "d", "e"], "agg_cost": [400.0, 150.0, 100.0, 330.0, 90.0]})
    table = {r["scope"]: r for r in runtime_agreement(pairs, costs).iter_rows(named=True)}
    assert list(table) == ["p1", "p2", "all"]  # d -> f has no measured tgt: left out
    # p1: programs a, b, e rank alike in both (4 > 2 > 1; 400 > 150 > 90); both pairs >= 1.10 in both.
    assert (table["p1"]["n_pairs"], table["p1"]["n_programs"], table["p1"]["spearman_cost"]) == (2, 3, 1.0)
    assert table["p1"]["direction_agreement"] == 1.0
    assert table["p1"]["log_speedup_corr"] is None  # PIE's two speedups are both 2.0: no correlation
    # p2: one pair, c -> d, slower in both (1/3 and 100/330): the same side of 1.10.
    assert (table["p2"]["n_pairs"], table["p2"]["direction_agreement"]) == (1, 1.0)
    assert table["p2"]["spearman_cost"] == 1.0 and table["p2"]["log_speedup_corr"] is None
    assert (table["all"]["n_pairs"], table["all"]["n_programs"], table["all"]["direction_agreement"]) == (3, 5, 1.0)
    assert table["all"]["median_speedup_pie"] == 2.0
    # ranks of PIE runtimes (e, c tie) 1.5 1.5 3 4 5 against costs 1 2 3 4 5: r = 9.5 / sqrt(9.5 * 10)
    assert table["all"]["spearman_cost"] == pytest.approx(9.5 / (9.5 * 10) ** 0.5)
    # An empty measurement: one overall row, nothing to correlate.
    empty = runtime_agreement(pairs, costs.clear())
    assert empty.to_dicts() == [
        {
            "scope": "all",
            "n_pairs": 0,
            "n_programs": 0,
            "spearman_cost": None,
            "direction_agreement": None,
            "log_speedup_corr": None,
            "median_speedup_pie": None,
            "median_speedup_here": None,
        }
    ]
