"""Preference data on hand-built inputs with known answers, through the assets: CodeDPO's
self-verification scores, its correctness and efficiency pairs, RRTF's rankings, a second
program source added as one branch of candidate_programs, and the optimisation task's pairs and
rankings through preference_export to the training examples."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.model_runs import materialize_on, rows

from dbt_like.assets import build_sql_assets
from pie_assets.codenet.ingest import SUBMISSIONS_SCHEMA
from pie_assets.dataset.codedpo import Params
from pie_assets.dataset.config import DatasetConfig
from pie_assets.dataset.exports import latest_export
from pie_assets.defs.dataset.exports import build_export_assets
from pie_assets.defs.dataset.preference import build_codedpo_scores_asset
from pie_assets.evaluation.prompts import fenced, strategy
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runtime.annotate import ANNOTATION_SCHEMA, SUBMISSION_RUNTIME_SCHEMA
from pie_assets.training.data import dpo_data, rrtf_data

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
MODELS = ["candidate_programs", "program_test_links", "codedpo_scores", "preference_pairs", "rrtf_rankings"]
OPTIMIZATION_MODELS = [
    "trajectories",
    "trajectory_pairs",
    *(f"optimization_{m}" for m in ("candidates", "preference_pairs", "rrtf_rankings")),
]
PARAMS = Params(damping=0.85, tolerance=1e-12, max_rounds=1000)
PHI = (1 + math.sqrt(5)) / 2


# ---- the score iteration ----------------------------------------------------------------------


# ---- the models on a hand-built lake ---------------------------------------------------------

# (program, problem, per-test (status, accuracy) on the problem's tests, agg_cost when all pass)
OK, WA, RE, TLE, CE, INFRA = (("OK", 1.0), ("WA", 0.5), ("RE", 0.0), ("TLE", 0.0), ("CE", 0.0), ("INFRA", 0.0))
PROGRAMS = [
    ("a1", "pA", [OK, OK, OK], 30.0),
    ("a2", "pA", [OK, OK, OK], 10.0),  # the fastest
    ("a3", "pA", [OK, OK, OK], 30.0),  # ties a1's cost: a1 is the slowest by id
    ("a4", "pA", [OK, OK, WA], None),  # partial pass
    ("a5", "pA", [CE, CE, CE], None),  # compile error
    ("a6", "pA", [RE, WA, TLE], None),  # compiles, passes nothing: runtime error
    ("a7", "pA", [OK, INFRA, OK], None),  # the harness failed: outcome unknown, left out
    ("b1", "pB", [OK, OK], 5.0),  # a problem with one program: no pair
    ("c1", "pC", [OK, OK], 4.0),  # pC: every program passes everything
    ("c2", "pC", [OK, OK], 4.0),
    ("d1", "pD", [OK], 2.0),  # pD has no statement: no pairs, still ranked
    ("d2", "pD", [WA], None),
]
STATEMENTS = {"pA": "Print the sum of A and B.", "pB": "Print B.", "pC": "Print C."}


def _write_lake(root: Path) -> None:
    warehouse = Warehouse(str(root))
    subs, runs, rows = [], [], []
    for program, problem, outcomes, cost in PROGRAMS:
        statuses = [status for status, _ in outcomes]
        all_pass = all(s == "OK" for s in statuses)
        subs.append(
            {
                **dict.fromkeys(SUBMISSIONS_SCHEMA),
                "submission_id": program,
                "problem_id": problem,
                "user_id": "u1",
                "language": "C++",
                "status": "Accepted" if all_pass else "Wrong Answer",
                "code": f"// program {program}\n",
                "code_encoding": "utf-8",
                "code_sha256": program,
            }
        )
        runs.append(
            {
                **dict.fromkeys(SUBMISSION_RUNTIME_SCHEMA),
                "submission_id": program,
                "problem_id": problem,
                "backend": "cachegrind",
                "config_hash": "c0",
                "all_pass": all_pass,
                "n_tests": len(outcomes),
                "status": next((s for s in statuses if s != "OK"), "OK"),
                "n_passed": statuses.count("OK"),
                "agg_cost": cost,
                "mean_accuracy": sum(a for _, a in outcomes) / len(outcomes),
            }
        )
        rows += [
            {
                **dict.fromkeys(ANNOTATION_SCHEMA),
                "submission_id": program,
                "problem_id": problem,
                "test_id": f"extra_dir_{i}",
                "input_test_ids": [f"extra_dir_{i}"],
                "status": status,
                "accuracy": accuracy,
                "cost": cost / len(outcomes) if cost else None,
                "counters": [],
            }
            for i, (status, accuracy) in enumerate(outcomes)
        ]
    for problem in sorted({p[1] for p in PROGRAMS}):
        for table, frame, schema in (
            ("submissions", subs, SUBMISSIONS_SCHEMA),
            ("submission_runtimes", runs, SUBMISSION_RUNTIME_SCHEMA),
            ("runtime_annotations", rows, ANNOTATION_SCHEMA),
        ):
            warehouse.write_partition(
                table,
                problem,
                pl.DataFrame([r for r in frame if r["problem_id"] == problem], schema=schema, orient="row"),
            )
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "problem_id": list(STATEMENTS),
            "statement": list(STATEMENTS.values()),
            "statement_sha256": list(STATEMENTS),
            "source_path": list(STATEMENTS),
        }
    ).write_parquet(root / "problem_statements.parquet")
    Catalog(warehouse).rebuild()


def _build(root: Path, config: DatasetConfig | None = None, sql_dir: Path | None = None) -> dg.ExecuteInProcessResult:
    config = config or DatasetConfig.load()
    assets = [*build_sql_assets(sql_dir or SQL_DIR, config), build_codedpo_scores_asset(config)]
    return materialize_on(root, assets, MODELS)


@pytest.fixture
def lake(tmp_path) -> Path:
    root = tmp_path / "warehouse"
    _write_lake(root)
    return root


def test_links_keep_known_outcomes_and_every_check_passes(lake):
    result = _build(lake)
    assert result.success
    assert [c.check_name for c in result.get_asset_check_evaluations() if not c.passed] == []
    assert rows(
        lake, "select program_id, test_id, passed from program_test_links where program_id in ('a4', 'a6') order by all"
    ) == [
        ("a4", "extra_dir_0", True),
        ("a4", "extra_dir_1", True),
        ("a4", "extra_dir_2", False),
        ("a6", "extra_dir_0", False),
        ("a6", "extra_dir_1", False),
        ("a6", "extra_dir_2", False),
    ]
    assert rows(lake, "select count(*) from program_test_links where program_id = 'a7'") == [(0,)]  # INFRA
    assert rows(lake, "select problem_id, count(*) from codedpo_scores where kind = 'test' group by 1 order by 1") == [
        ("pA", 3),
        ("pB", 2),
        ("pC", 2),
        ("pD", 1),
    ]


def test_correctness_and_efficiency_pairs(lake):
    _build(lake)
    pairs = rows(
        lake,
        "select problem_id, kind, prompt, chosen_id, rejected_id, chosen, rejected from preference_pairs order by all",
    )
    # pA: a1, a2, a3 pass everything (equal top scores: a1 by id) over a5 and a6 that pass nothing (a5 by
    # id); trusted = every test; fastest a2 over the slowest, a1 (ties a3 at 30, smaller id).
    # pB (one program) and pC (equal scores, equal costs) have none; pD has no statement.
    assert pairs == [
        ("pA", "correctness", "Print the sum of A and B.", "a1", "a5", "// program a1\n", "// program a5\n"),
        ("pA", "efficiency", "Print the sum of A and B.", "a2", "a1", "// program a2\n", "// program a1\n"),
    ]
    scores = dict(rows(lake, "select id, score from codedpo_scores where kind = 'code' and problem_id = 'pA'"))
    assert scores["a1"] == scores["a2"] == scores["a3"] == 1.0 > scores["a4"] > scores["a5"] == scores["a6"]
    assert "a7" not in scores
    assert rows(lake, "select chosen_agg_cost, rejected_agg_cost from preference_pairs where kind = 'efficiency'") == [
        (10.0, 30.0)
    ]


def test_rrtf_ranks_classes_then_cost(lake):
    _build(lake)
    ranks = rows(lake, "select problem_id, submission_id, outcome_class, rank from rrtf_rankings order by all")
    assert ranks == [
        ("pA", "a1", "all_pass", 2),
        ("pA", "a2", "all_pass", 1),
        ("pA", "a3", "all_pass", 2),
        ("pA", "a4", "partial_pass", 4),
        ("pA", "a5", "compile_error", 6),
        ("pA", "a6", "runtime_error", 5),
        ("pB", "b1", "all_pass", 1),
        ("pC", "c1", "all_pass", 1),
        ("pC", "c2", "all_pass", 1),
        ("pD", "d1", "all_pass", 1),
        ("pD", "d2", "runtime_error", 2),
    ]


def test_scores_record_rounds_vars_and_a_warn_check(lake):
    capped = dataclasses.replace(DatasetConfig.load(), vars={**DatasetConfig.load().vars, "codedpo_max_rounds": 1})
    result = _build(lake, capped)
    assert result.success  # not converged is a warning, the scores are published
    (check,) = [c for c in result.get_asset_check_evaluations() if c.asset_key == dg.AssetKey("codedpo_scores")]
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
    metadata = result.asset_materializations_for_node("codedpo_scores")[0].metadata
    assert metadata["vars"].value["codedpo_max_rounds"] == 1
    assert metadata["dagster/row_count"].value == rows(lake, "select count(*) from codedpo_scores")[0][0]
    columns = {c.name: c.description for c in metadata["dagster/column_schema"].value.columns}
    assert set(columns) == {"problem_id", "kind", "id", "score", "rounds", "converged"} and all(columns.values())
    assert rows(lake, "select distinct rounds, converged from codedpo_scores where problem_id = 'pA'") == [(1, False)]
    assert (lake / "codedpo_scores.parquet").is_file()
    default = build_codedpo_scores_asset(DatasetConfig.load())
    assert build_codedpo_scores_asset(capped).code_versions_by_key != default.code_versions_by_key


def test_a_second_program_source_is_one_branch_of_candidate_programs(lake, tmp_path):
    """What the generations table will do: a branch in candidate_programs (and its source name in
    accepted_values), nothing else; the generation then wins pA's efficiency pair."""
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    anchor = "    left join human_test_results as t on s.submission_id = t.submission_id\n"
    branch = (
        "    union all by name\n"
        "    select\n"
        "        generation_id as program_id,\n"
        "        problem_id,\n"
        "        'generation' as source,\n"
        "        code,\n"
        "        null as source_status,\n"
        "        runtime_status,\n"
        "        all_pass,\n"
        "        n_tests,\n"
        "        n_passed,\n"
        "        agg_cost,\n"
        "        test_results\n"
        "    from generations\n"
    )
    model = (sql / "candidate_programs.sql").read_text()
    assert model.count(anchor) == 1
    (sql / "candidate_programs.sql").write_text(model.replace(anchor, anchor + branch))
    spec = (sql / "candidate_programs.yml").read_text()
    (sql / "candidate_programs.yml").write_text(spec.replace("values: [human]", "values: [human, generation]"))
    results = [{"test_id": f"extra_dir_{i}", "status": "OK", "accuracy": 1.0} for i in range(3)]
    pl.DataFrame(
        [
            {
                "generation_id": "g1",
                "problem_id": "pA",
                "code": "// generated\n",
                "runtime_status": "OK",
                "all_pass": True,
                "n_tests": 3,
                "n_passed": 3,
                "agg_cost": 3.0,
                "test_results": results,
            }
        ]
    ).write_parquet(lake / "generations.parquet")
    Catalog(Warehouse(str(lake))).rebuild()

    assert _build(lake, sql_dir=sql).success
    assert rows(lake, "select chosen_id, rejected_id from preference_pairs where kind = 'efficiency'") == [("g1", "a1")]
    assert rows(lake, "select source, rank from rrtf_rankings where submission_id = 'g1'") == [("generation", 1)]


def test_optimisation_pairs_and_rankings_through_the_export_to_training_examples(lake):
    """pA's trajectory a1 (30) -> a2 (10) makes a1 a src: a2 is its faster rewrite; a1 itself and a3
    (30) are no faster; a4, a5, a6 are incorrect; a7's outcome is unknown. The export builds the
    evaluation's instruction prompt from a1 and fences the answers; training reads either set."""
    pl.DataFrame({"problem_id": ["pA", "pB", "pC", "pD"], "split": ["train"] * 4}).write_parquet(
        lake / "problem_splits.parquet"
    )
    Catalog(Warehouse(str(lake))).rebuild()
    config = DatasetConfig.load()
    assets = [*build_sql_assets(SQL_DIR, config), build_codedpo_scores_asset(config), *build_export_assets(config.hash)]
    result = materialize_on(lake, assets, [*MODELS, *OPTIMIZATION_MODELS, "preference_export"])
    assert result.success
    assert [c.check_name for c in result.get_asset_check_evaluations() if not c.passed] == []

    assert rows(
        lake, "select src_id, candidate_id, source, role, outcome_class from optimization_candidates order by all"
    ) == [
        ("a1", "a1", "src", "slower", "all_pass"),
        ("a1", "a2", "human", "faster", "all_pass"),
        ("a1", "a3", "human", "slower", "all_pass"),
        ("a1", "a4", "human", "incorrect", "partial_pass"),
        ("a1", "a5", "human", "incorrect", "compile_error"),
        ("a1", "a6", "human", "incorrect", "runtime_error"),
    ]
    # five pairs (a2 over each of a1, a3, a4, a5, a6), four drawn (optimization_max_per_src)
    pairs = rows(lake, "select chosen_id, rejected_id, kind, prompt_template from optimization_preference_pairs")
    assert len(pairs) == config.vars["optimization_max_per_src"] == 4
    assert {p[0] for p in pairs} == {"a2"} and {p[3] for p in pairs} == {"instruction"}
    assert {p[1:3] for p in pairs} <= {
        ("a1", "efficiency"),
        ("a3", "efficiency"),
        ("a4", "correctness"),
        ("a5", "correctness"),
        ("a6", "correctness"),
    }
    assert rows(lake, "select candidate_id, rank from optimization_rrtf_rankings order by rank, candidate_id") == [
        ("a2", 1),
        ("a1", 2),
        ("a3", 2),
        ("a4", 4),
        ("a6", 5),
        ("a5", 6),
    ]

    version = latest_export(Warehouse(str(lake)), "preference_export")
    manifest = json.loads((version / "manifest.json").read_text())
    prompt = strategy("instruction").build("// program a1\n")
    assert manifest["prompt_strategies"] == {"instruction": strategy("instruction").version}
    assert {f["name"]: f["rows"] for f in manifest["files"] if f["name"].endswith(".jsonl")} == {
        "codedpo/dpo.jsonl": 2,
        "codedpo/rrtf.jsonl": 9,  # pD has no statement
        "optimization/dpo.jsonl": 4,
        "optimization/rrtf.jsonl": 6,
    }
    exported = [json.loads(line) for line in (version / "optimization" / "dpo.jsonl").read_text().splitlines()]
    assert {(r["prompt"], r["chosen"]) for r in exported} == {(prompt, fenced("// program a2\n"))}
    assert {r["rejected"] for r in exported} <= {fenced(f"// program {p}\n") for p in ("a1", "a3", "a4", "a5", "a6")}

    warehouse = Warehouse(str(lake))
    dpo = dpo_data(warehouse, None)
    assert (dpo.file, len(dpo.examples), dpo.strategies) == ("optimization/dpo.jsonl", 4, ("instruction",))
    assert dpo.examples[0]["prompt"] == prompt
    correctness = dpo_data(warehouse, None, "correctness")
    assert 1 <= len(correctness.examples) < 4
    codedpo = dpo_data(warehouse, None, preference="codedpo")
    assert (codedpo.file, len(codedpo.examples), codedpo.strategies) == ("codedpo/dpo.jsonl", 2, ())
    [ranked] = rrtf_data(warehouse, None).examples
    assert ranked["prompt"] == prompt and ranked["ranks"] == [1, 2, 2, 4, 5, 6]
    assert ranked["responses"][0] == fenced("// program a2\n")
    with pytest.raises(ValueError, match="unknown preference set 'ecco'"):
        rrtf_data(warehouse, None, preference="ecco")
