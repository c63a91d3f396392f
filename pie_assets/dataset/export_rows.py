"""The rows of each export, read with SQL from the catalog.

`pie_export`: the lake's pairs in PIE's released schema (`pie_format.TRAIN_FIELDS`, and
`TEST_FIELDS` for the test file), split by `problem_splits`:

| PIE field | from the lake |
|---|---|
| src_id, tgt_id, problem_id, user_id, src_code, tgt_code | `trajectory_pairs` (`hq_pairs` for hq_train) |
| src_status, tgt_status, speedup | the same |
| src_agg_runtime, tgt_agg_runtime | src_agg_cost, tgt_agg_cost |
| fastest_agg_runtime, fastest_agg_runtime_updated, fastest_runtime | `fastest_human.agg_cost` |
| target_reward, src_reward | fastest_agg_runtime / tgt_agg_runtime, fastest_agg_runtime / src_agg_runtime |
| target_reward_updated, src_reward_updated | `tier_labels.reward` of the tgt, of the src |
| target_reward_updated_pct_bin, src_reward_updated_pct_bin | `tier_labels.tier` of the tgt, of the src |
| fastest_accuracy | `submission_runtimes.mean_accuracy` of the fastest human program |
| tests, n_tests | the problem's tests of the runtime test set its labels sum over, see below |

PIE's `_updated` fields are its re-measured runtimes and the rewards its tiers were binned from;
the lake has one measurement, the one its tiers come from, so they are filled from it (the
`_updated` rewards are `tier_labels.reward`, the reward the tier was binned from). No field is
invented: a value the lake lacks is NULL (no `fastest_human` row for the problem: the fastest
and reward fields; a program without a `tier_labels` row: its reward_updated and pct_bin; a
problem without runtime tests: tests and n_tests). Runtimes are in the backend's unit
(`RUNTIME_UNITS`), not PIE's seconds unless the backend is gem5.

`tests` renders the problem's tests of the runtime test set (`submission_runtimes.test_set`, see
`runtime.test_sets`; a problem labelled before test sets: `test_cases.runtime_test_id`) as PIE's
integer indices: an `extra_dir_N` test (PIE's `input.N.txt`) is N; the other representatives
(`codenet_derived_N`, then `html_sample_N`, by number, then the generated tests) are numbered on
from one past the highest extra_dir index among them (from 0 when there is none), so no index
names two inputs. `n_tests` is the length of `tests`.

`perf_prompts_export`: PIE's performance-conditioned prompt (`pie_format.performance_prompt`) of
every pair, completion = tgt_code; train with the target's tier (a pair whose target has no tier
cannot be conditioned and is left out, and counted), val and test with tier 10.

`pie_pairs_export`: `pie_pairs` written back per source file, each line as it was read (its
fields in their order, unknown ones included); rejected lines stay in `pie_pairs_rejects`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import polars as pl

from pie_assets.codenet.test_cases import ORIGIN_PRIORITY
from pie_assets.dataset.exports import ExportFile, jsonl_file, parquet_file
from pie_assets.dataset.pie_format import (
    FIELD_DTYPES,
    SPLITS,
    TEST_FIELDS,
    TOP_TIER,
    TRAIN_FIELDS,
    performance_prompt,
    restore_record,
)
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.schema import ColumnTypes
from pie_assets.runtime.test_sets import select_tests

PIE_EXPORT_INPUTS = (
    "trajectory_pairs",
    "hq_pairs",
    "problem_splits",
    "fastest_human",
    "tier_labels",
    "submission_runtimes",
    "test_cases",
)
PROMPT_EXPORT_INPUTS = ("trajectory_pairs", "problem_splits", "tier_labels", "submission_runtimes")
PIE_PAIRS_EXPORT_INPUTS = ("pie_pairs",)
# Read when present (pie_export's synthetic_train file), never required: lineage only.
PIE_EXPORT_OPTIONAL_INPUTS = ("selfplay_pairs",)
SYNTHETIC_SQL = """
select src_id, tgt_id, src_agg_cost as src_agg_runtime, tgt_agg_cost as tgt_agg_runtime, problem_id, speedup,
       src_code, tgt_code
from selfplay_pairs
order by problem_id, src_id, tgt_id
"""
RUNTIME_UNITS = {
    "cachegrind": "CEst (cachegrind cost: Ir + weighted branch and cache misses, pie_assets/simulator.toml)",
    "gem5": "seconds (gem5 simulated time, simTicks / simFreq)",
    "native": "seconds (CPU time, getrusage, median of 5 runs)",
}
PIE_RUNTIME_UNIT = "seconds (PIE's released runtimes, as imported)"
PROMPT_FIELDS = ("prompt", "completion", "src_id", "tgt_id", "problem_id", "tier")
PROMPT_SCHEMA: ColumnTypes = {
    "prompt": pl.Utf8,
    "completion": pl.Utf8,
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "problem_id": pl.Utf8,
    "tier": pl.Int64,
}

_PAIRS_SQL = """
with fastest as (
    select problem_id, submission_id, agg_cost::double as agg_cost from fastest_human
    qualify row_number() over (partition by problem_id order by agg_cost, submission_id) = 1
)
select p.src_id, p.tgt_id, p.src_agg_cost::double as src_agg_runtime, p.tgt_agg_cost::double as tgt_agg_runtime,
       p.problem_id, p.user_id, p.speedup::double as speedup, p.src_code, p.tgt_code,
       f.agg_cost as fastest_agg_runtime, p.src_status, p.tgt_status,
       f.agg_cost / nullif(p.tgt_agg_cost::double, 0) as target_reward,
       f.agg_cost / nullif(p.src_agg_cost::double, 0) as src_reward,
       f.agg_cost as fastest_agg_runtime_updated,
       tt.reward::double as target_reward_updated, st.reward::double as src_reward_updated,
       tt.tier::bigint as target_reward_updated_pct_bin, st.tier::bigint as src_reward_updated_pct_bin,
       f.agg_cost as fastest_runtime, r.mean_accuracy::double as fastest_accuracy,
       s.split
from "{pairs}" p
join problem_splits s using (problem_id)
left join fastest f using (problem_id)
left join tier_labels tt on tt.submission_id = p.tgt_id
left join tier_labels st on st.submission_id = p.src_id
left join submission_runtimes r on r.submission_id = f.submission_id
order by p.problem_id, p.src_id, p.tgt_id
"""

_PROMPT_SQL = """
select p.src_id, p.tgt_id, p.problem_id, p.src_code, p.tgt_code, s.split, t.tier::bigint as tgt_tier
from trajectory_pairs p
join problem_splits s using (problem_id)
left join tier_labels t on t.submission_id = p.tgt_id
order by p.problem_id, p.src_id, p.tgt_id
"""


class MissingInputs(LookupError):
    """An export's input tables or models are not in the catalog yet."""


def connect(catalog: Catalog, tables: Sequence[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection in which every one of `tables` is a view, or a clear error."""
    for name in tables:
        catalog.ensure(name)
    con = catalog.connect()
    present = {row[0] for row in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    missing = [name for name in tables if name not in present]
    if missing:
        con.close()
        raise MissingInputs(f"not in the catalog yet: {', '.join(missing)} (materialise them first, e.g. `pie run`)")
    return con


def runtime_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The backend of the lake's runtimes and their unit: one export holds one unit."""
    backends = [
        row[0]
        for row in con.execute(
            "select distinct backend from submission_runtimes where backend is not null order by 1"
        ).fetchall()
    ]
    if len(backends) != 1:
        raise ValueError(
            f"submission_runtimes holds runtimes of {len(backends)} backends ({', '.join(backends)}): "
            "an export needs exactly one runtime unit"
        )
    config_hashes = [
        row[0]
        for row in con.execute(
            "select distinct config_hash from submission_runtimes where config_hash is not null order by 1"
        ).fetchall()
    ]
    return {"backend": backends[0], "unit": RUNTIME_UNITS[backends[0]], "simulator_config_hashes": config_hashes}


def runtime_test_rows(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Each problem's test rows with `runtime_test_id` within the test set its labels sum over
    (`submission_runtimes.test_set`, the generated tests included where the set has them); a
    problem without a recorded set (labelled before test sets) keeps test_cases' own ids."""
    if "test_set" not in {row[0] for row in con.execute("describe submission_runtimes").fetchall()}:
        return con.execute("select problem_id, test_id, origin, runtime_test_id from test_cases").pl()
    columns = ["problem_id", "test_id", "origin", "input_sha256", "runtime_test_id"]
    tests = con.execute(f"select {', '.join(columns)} from test_cases").pl()
    views = {row[0] for row in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    sets = dict(
        con.execute(
            "select problem_id, min(test_set) from submission_runtimes where test_set is not null group by 1"
        ).fetchall()
    )
    generated = (
        con.execute(f"select {', '.join(columns)} from generated_tests").pl() if "generated_tests" in views else None
    )
    frames = []
    for (problem,), rows in tests.partition_by("problem_id", as_dict=True, maintain_order=True).items():
        if problem not in sets:
            frames.append(rows)
            continue
        own = generated.filter(pl.col("problem_id") == problem) if generated is not None else None
        frames.append(select_tests(sets[problem], rows, own).tests.select(columns))
    return pl.concat(frames) if frames else tests


def pie_test_indices(test_cases: pl.DataFrame) -> pl.DataFrame:
    """problem_id, tests (PIE's integer indices of the runtime test set), n_tests: see the module
    docstring for the numbering."""
    numbered = test_cases.with_columns(
        number=pl.col("test_id").str.extract(r"_(\d+)$").cast(pl.Int64),
        is_extra=pl.col("origin") == "extra_dir",
        priority=pl.col("origin").replace_strict(ORIGIN_PRIORITY, default=len(ORIGIN_PRIORITY), return_dtype=pl.Int64),
    )
    offsets = numbered.group_by("problem_id").agg(
        offset=(pl.col("number").filter(pl.col("is_extra")).max() + 1).fill_null(0)
    )
    representatives = (
        numbered.filter(pl.col("test_id") == pl.col("runtime_test_id"))
        .join(offsets, on="problem_id")
        .sort("problem_id", "priority", "number", "test_id")
    )
    indexed = representatives.with_columns(
        index=pl.when(pl.col("is_extra"))
        .then(pl.col("number"))
        .otherwise(pl.col("offset") + pl.int_range(pl.len()).over("problem_id", "is_extra"))
    )
    return (
        indexed.group_by("problem_id")
        .agg(tests=pl.col("index").sort(), n_tests=pl.len().cast(pl.Int64))
        .sort("problem_id")
    )


def _pairs(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    frame = con.execute(_PAIRS_SQL.format(pairs=table)).pl()
    if frame.select("src_id", "tgt_id").is_duplicated().any():
        raise ValueError(
            f"{table}: a pair appears more than once after joining problem_splits, tier_labels and "
            "submission_runtimes (each must have one row per problem or submission)"
        )
    return frame


def _without_split(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(
        f'select count(*) from "{table}" where problem_id not in '
        "(select problem_id from problem_splits where problem_id is not null)"
    ).fetchall()[0][0]


def _pie_files(name: str, frame: pl.DataFrame, fields: Sequence[str]) -> list[ExportFile]:
    rows = frame.select(fields)
    return [jsonl_file(f"{name}.jsonl", rows.to_dicts()), parquet_file(f"{name}.parquet", rows)]


def _synthetic_pairs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """The self-play pairs in PIE's train fields (the ones self-play has; the others NULL), or
    None when the lake has no `selfplay_pairs` (an optional input: its file is then left out)."""
    present = con.execute("select count(*) from duckdb_views() where view_name = 'selfplay_pairs'").fetchall()[0][0]
    if not present:
        return None
    frame = con.execute(SYNTHETIC_SQL).pl()
    return frame.with_columns(
        [pl.lit(None, FIELD_DTYPES[name]).alias(name) for name in TRAIN_FIELDS if name not in frame.columns]
    ).cast({name: FIELD_DTYPES[name] for name in TRAIN_FIELDS})


def pie_export_files(con: duckdb.DuckDBPyConnection) -> tuple[list[ExportFile], dict[str, Any]]:
    """train/val/test/hq_train in PIE's schema, JSONL and Parquet; and what the manifest adds."""
    pairs = _pairs(con, "trajectory_pairs")
    hq = _pairs(con, "hq_pairs").filter(pl.col("split") == "train")
    tests = pie_test_indices(runtime_test_rows(con))
    files: list[ExportFile] = []
    for split in SPLITS:
        rows = pairs.filter(pl.col("split") == split)
        if split == "test":
            rows = rows.join(tests, on="problem_id", how="left", maintain_order="left")
            files += _pie_files(split, rows, TEST_FIELDS)
        else:
            files += _pie_files(split, rows, TRAIN_FIELDS)
    files += _pie_files("hq_train", hq, TRAIN_FIELDS)
    synthetic = _synthetic_pairs(con)
    if synthetic is not None:
        files += _pie_files("synthetic_train", synthetic, TRAIN_FIELDS)
    info = {
        "runtime": runtime_info(con),
        "synthetic": None
        if synthetic is None
        else {
            "file": "synthetic_train",
            "source": "selfplay_pairs (PIE's self-play: generated programs, not CodeNet)",
            "rows": synthetic.height,
        },
        "left_out": {
            "pairs_without_split": _without_split(con, "trajectory_pairs"),
            "hq_pairs_without_split": _without_split(con, "hq_pairs"),
        },
    }
    return files, info


def prompt_export_files(con: duckdb.DuckDBPyConnection) -> tuple[list[ExportFile], dict[str, Any]]:
    """train (target's tier), val and test (tier 10) prompt/completion files, JSONL and Parquet."""
    pairs = con.execute(_PROMPT_SQL).pl()
    files: list[ExportFile] = []
    untiered = 0
    for split in SPLITS:
        rows = pairs.filter(pl.col("split") == split)
        if split == "train":
            untiered = rows["tgt_tier"].null_count()
            rows = rows.filter(pl.col("tgt_tier").is_not_null()).with_columns(tier=pl.col("tgt_tier"))
        else:
            rows = rows.with_columns(tier=pl.lit(TOP_TIER, dtype=pl.Int64))
        prompts = [performance_prompt(code, tier) for code, tier in zip(rows["src_code"], rows["tier"], strict=True)]
        frame = (
            rows.with_columns(prompt=pl.Series(prompts, dtype=pl.Utf8), completion=pl.col("tgt_code"))
            .select(PROMPT_FIELDS)
            .cast(pl.Schema(PROMPT_SCHEMA))
        )
        files += [jsonl_file(f"{split}.jsonl", frame.to_dicts()), parquet_file(f"{split}.parquet", frame)]
    info = {
        "runtime": runtime_info(con),
        "template": "PIE performance-conditioned (pie_format.PROMPT_TEMPLATE)",
        "left_out": {
            "train_pairs_without_target_tier": untiered,
            "pairs_without_split": _without_split(con, "trajectory_pairs"),
        },
    }
    return files, info


def pie_pairs_export_files(pie_pairs: pl.DataFrame) -> tuple[list[ExportFile], dict[str, Any]]:
    """One JSONL per source file, its lines in their order, each as it was read."""
    files = [
        jsonl_file(source_file, [restore_record(row) for row in group.to_dicts()])
        for (source_file,), group in pie_pairs.sort("source_file", "line").group_by("source_file", maintain_order=True)
    ]
    return files, {"runtime": {"unit": PIE_RUNTIME_UNIT}}
