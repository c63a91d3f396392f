"""Benchmark: the dataset's SQL models (DuckDB, the project's path) vs the same logic in polars.

Generates, with a fixed seed, a warehouse in the lake's real layout (`<root>/submissions/<problem>.parquet`,
`<root>/submission_runtimes/<problem>.parquet`, the catalog from `Catalog.rebuild()`) at CodeNet C++
scale by default: 4,000 problems and 4,350,000 correct programs (CodeNet-Accepted and passing every
runtime test, so with an agg_cost), plus what the real runtime table also holds: non-accepted
programs (WA, TLE, RE, CE, MLE; ~15%), Accepted programs that fail a test here (~1.5%), a few
without a user (0.2%) or without a runtime row (0.3%). Trajectory lengths (correct programs per
(user, problem)) follow a discrete Pareto, floor(U^(-1/2.2)) capped at 100: ~78% have one program,
a long tail has 2-10+ (mean ~1.5). submitted_at increases within a trajectory (2% equal times, which
the submission_id tie-break orders); agg_cost is an integer, lognormal per problem and user, falling
along a trajectory (a per-user trend plus iid lognormal noise, 3% exact repeats of the previous cost,
so costs tie), so about half of the i < j pairs pass the 10% filter. Real programs are ~1-2 KB and
4.35M of them do not fit a 4 GiB target in any engine: the code here is a short synthetic C++
program of realistic line structure (6-16 lines, ~200 bytes; some CRLF, some without a final newline
or with extra blank lines at the end, which n_lines must handle). Generation is not timed.

Then, in one run, each side computes the five models trajectories -> trajectory_pairs -> hq_pairs,
fastest_human, tier_labels (vars from the dataset config) in its own fresh subprocess, the sides
alternating which goes first, --repeats times each:
  duckdb  the project's path: each model's rendered SQL (dbt_like.models.load_models over sql/) run
          by dbt_like.assets._stage_table with a LakeResource, exactly as a `table` model asset is
          computed: COPY (sql) TO a temp Parquet file on a read-only catalog connection, the data
          tests on the staged file, the file renamed into `<root>/<model>.parquet` and the catalog
          rebuilt. A model's time is all of that but its tests (the whole of
          dbt_like.assets._evaluate: row count, content hash, preview and every data test), which are
          timed and reported on their own, not in the ratio. The publish step (rename and catalog
          rebuild, which reads every input file's schema: ~0.4 s a model at 4,000 problems) is in the
          model's time and also shown on its own.
  polars  a straightforward lazy polars implementation of the same rules (scan_parquet of the same
          files and of its own upstream outputs, sink_parquet of each model to `<root>/_polars/`,
          lz4 as the project writes).
Wall and CPU seconds (getrusage RUSAGE_SELF of the child, all threads) are taken around each model;
peak RSS is the child's VmHWM, reset (/proc/self/clear_refs) before each model and before its tests.
The whole child's peak is the highest of its
phases, which cover all its work after the imports (not wait4's ru_maxrss, which Linux carries
over from the forking parent across exec). The DuckDB child
imports dagster for dbt_like.assets, ~130 MB more than the polars child's imports, shown as "after
imports". Times are each side's best repeat (lowest total), peaks the highest of any repeat. The
DuckDB connection gets the dataset config's [duckdb] settings (memory_limit, threads), as the
model assets apply them; polars runs with its defaults (all cores, no memory cap).

Both sides' outputs are then compared column by column (schema, rows, row order, values; floats to
a relative 1e-12): the run exits 1 when they differ, or when a blocking data test fails, and never
on a missed target. Targets (issue): DuckDB's total <= 1.0x polars', DuckDB's peak < 4 GiB.

    python bench/dataset_models.py [--problems 4000] [--programs 4350000] [--repeats 2] [--warehouse DIR]

--warehouse keeps the generated lake in DIR and reuses it when its parameters match (else a temp
directory, removed at the end).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODELS = ("trajectories", "trajectory_pairs", "hq_pairs", "fastest_human", "tier_labels")
POLARS_DIR = "_polars"  # under the warehouse root; `_` so the catalog does not take it for a table
PARAMS_FILE = "_bench_dataset_models.json"
GIB = 1024**3
TARGET_RATIO = 1.0
TARGET_PEAK = 4 * GIB
TAIL_ALPHA = 2.2  # trajectory lengths: floor(U^(-1/alpha)), U uniform on (0, 1]
MAX_LENGTH = 100
CONFIG_HASH = "5d41402abc4b2a76"
EPOCH_START = 1_325_376_000  # 2012-01-01
EPOCH_SPAN = 8 * 365 * 86_400
FLOAT_RTOL = 1e-12


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


# ---- generation -------------------------------------------------------------------------------


def _uniform(seed: int, index: pl.Expr) -> pl.Expr:
    """A uniform (0, 1) per row, from a seeded hash of the row's index (deterministic, vectorised)."""
    return ((index.hash(seed) // 2048).cast(pl.Float64) + 0.5) / 2.0**53


def _normal(seed: int, index: pl.Expr) -> pl.Expr:
    """A standard normal per row (Box-Muller over two hashed uniforms)."""
    return (-2.0 * _uniform(seed, index).log()).sqrt() * (2.0 * math.pi * _uniform(seed + 1, index)).cos()


def _code_templates() -> list[tuple[str, str]]:
    """(head, tail) of a short C++ program with 6..16 lines, a number goes between them."""
    body = [
        "  for (int i = 0; i < n; i++)",
        "    s += a[i % 5] * i;",
        "  if (s % 3 == 0) s /= 3;",
        "  s = s * 31 % 998244353;",
        "  s ^= n << 1;",
        "  vector<ll> v(n % 9, s);",
        "  sort(v.begin(), v.end());",
        "  s += v.size();",
        "  if (s < 0) s = -s;",
        "  s %= 1000000007;",
    ]
    templates = []
    for extra in range(11):  # 6 fixed lines + 0..10 body lines
        head = "#include <bits/stdc++.h>\nusing ll = long long;\nint main() {\n  ll n, s = "
        tail = ";\n  std::cin >> n;\n" + "".join(line + "\n" for line in body[:extra]) + "  std::cout << s;\n}\n"
        templates.append((head, tail))
    return templates


def _groups(problems: int, programs: int, seed: int) -> pl.DataFrame:
    """One row per (user, problem) trajectory, `length` correct programs in all summing to `programs`."""
    estimate = max(problems, int(programs / 1.4)) + problems
    while True:
        g = pl.int_range(estimate, dtype=pl.UInt64)
        groups = pl.select(
            group=g,
            length=(_uniform(seed, g) ** (-1.0 / TAIL_ALPHA)).floor().clip(1, MAX_LENGTH).cast(pl.Int64),
            # every problem gets a trajectory first, then a skewed share (a few problems are big)
            problem=pl.when(g < problems)
            .then(g.cast(pl.Int64))
            .otherwise((problems * _uniform(seed + 10, g) ** 1.5).floor().cast(pl.Int64).clip(0, problems - 1)),
        )
        end = groups["length"].cum_sum()
        if end[-1] >= programs:
            break
        estimate *= 2
    groups = groups.with_columns(end=end).filter(pl.col("end") - pl.col("length") < programs)
    groups = groups.with_columns(length=pl.min_horizontal("length", programs - (pl.col("end") - pl.col("length"))))
    return groups.drop("end")


def generate(root: Path, problems: int, programs: int, seed: int) -> dict:
    """Writes the two input tables in the lake's layout and the catalog; returns generation stats."""
    from pie_assets.codenet.ingest import SUBMISSIONS_SCHEMA
    from pie_assets.lake.catalog import Catalog
    from pie_assets.lake.storage import Warehouse
    from pie_assets.runtime.annotate import SUBMISSION_RUNTIME_SCHEMA

    groups = _groups(problems, programs, seed)
    n_groups = groups.height
    # problem index -> id, shuffled so the big problems are spread over the ids
    problem_ids = pl.select(problem=pl.int_range(problems, dtype=pl.Int64)).with_columns(
        problem_id=pl.format("p{}", (pl.col("problem").hash(seed + 20).rank("ordinal") - 1).cast(pl.Utf8).str.zfill(5)),
        base_cost=(12.0 + 1.5 * _normal(seed + 21, pl.col("problem"))).exp(),
        n_tests=(3 + pl.col("problem").hash(seed + 23) % 38).cast(pl.Int64),
    )
    # users distinct within a problem: the k-th trajectory of a problem gets user (k + offset) mod U
    k = pl.int_range(pl.len(), dtype=pl.Int64).over("problem")
    users = max(200_000, int(groups["problem"].value_counts()["count"].max()) + 1)
    groups = (
        groups.with_columns(
            user=(k + pl.col("problem").hash(seed + 30).cast(pl.Int64, wrap_numerical=True).abs() % users) % users,
            base_time=(EPOCH_START + _uniform(seed + 31, pl.col("group")) * EPOCH_SPAN).cast(pl.Int64),
            user_factor=(0.5 * _normal(seed + 32, pl.col("group"))).exp(),
            trend=1.2 * _uniform(seed + 34, pl.col("group")),
        )
        .join(problem_ids, on="problem")
        .with_columns(
            user_id=pl.format("u{}", pl.col("user").cast(pl.Utf8).str.zfill(9)),
        )
    )

    # correct programs: positions along each trajectory
    correct = (
        groups.select(
            "group",
            "problem_id",
            "user_id",
            "base_time",
            "user_factor",
            "trend",
            "base_cost",
            "n_tests",
            pos=pl.int_ranges(0, pl.col("length")),
        )
        .explode("pos", empty_as_null=True)
        .sort("group", "pos")
    )
    i = pl.int_range(pl.len(), dtype=pl.UInt64)
    gap = (
        pl.when((pl.col("pos") == 0) | (_uniform(seed + 40, i) < 0.02))
        .then(0.0)
        .otherwise(-7200.0 * _uniform(seed + 41, i).log())
        .floor()
        .cast(pl.Int64)
    )
    cost = (
        (
            pl.col("base_cost")
            * pl.col("user_factor")
            * (-pl.col("trend") * (1.0 - (-pl.col("pos") / 4.0).exp()) + 0.25 * _normal(seed + 42, i)).exp()
        )
        .round()
        .clip(1.0)
    )
    correct = (
        correct.with_columns(t=gap, cost=cost, repeat=_uniform(seed + 44, i) < 0.03)
        .with_columns(
            t=pl.col("base_time") + pl.col("t").cum_sum().over("group"),
            cost=pl.when(pl.col("repeat") & (pl.col("pos") > 0))
            .then(pl.col("cost").shift(1).over("group"))
            .otherwise(pl.col("cost")),
        )
        .select(
            "group", "problem_id", "user_id", "t", "cost", "n_tests", status=pl.lit("Accepted"), runtime=pl.lit("pass")
        )
    )

    # the rest of the runtime table: extras attached to random trajectories, at a time within them
    def extras(n: int, salt: int, statuses: list[str], runtime: str, null_user: bool = False) -> pl.DataFrame:
        j = pl.int_range(n, dtype=pl.UInt64)
        status = (
            (j.hash(seed + salt + 3) % len(statuses))
            .cast(pl.Int64)
            .replace_strict(dict(enumerate(statuses)), return_dtype=pl.Utf8)
        )
        frame = pl.select(
            group=(j.hash(seed + salt) % n_groups),
            u=_uniform(seed + salt + 1, j),
            cost=(12.0 + 1.5 * _normal(seed + salt + 2, j)).exp().round().clip(1.0),
            status=status,
            runtime=pl.lit(runtime),
        )
        frame = frame.join(
            groups.select("group", "problem_id", "user_id", "base_time", "n_tests", span=pl.col("length") * 7200),
            on="group",
        )
        return frame.select(
            "group",
            "problem_id",
            user_id=pl.lit(None, pl.Utf8) if null_user else pl.col("user_id"),
            t=pl.col("base_time") + (pl.col("u") * (pl.col("span") + 3600)).cast(pl.Int64),
            cost="cost",
            n_tests="n_tests",
            status="status",
            runtime="runtime",
        )

    verdicts = [
        "Wrong Answer",
        "Wrong Answer",
        "Wrong Answer",
        "Time Limit Exceeded",
        "Runtime Error",
        "Compile Error",
        "Memory Limit Exceeded",
        "Time Limit Exceeded",
        "Wrong Answer",
        "Runtime Error",
    ]
    wrong = extras(int(programs * 0.15), 51, verdicts, "fail")
    parts = [
        correct,
        wrong,
        extras(int(programs * 0.015), 61, ["Accepted"], "fail"),  # Accepted, fails a test here
        extras(int(programs * 0.002), 71, ["Accepted"], "pass", null_user=True),
        extras(int(programs * 0.003), 81, ["Accepted"], "none"),
    ]  # not measured yet
    rows = pl.concat(parts, how="vertical_relaxed")
    del parts, correct, wrong

    templates = _code_templates()
    r = pl.int_range(pl.len(), dtype=pl.UInt64)
    tpl = (r.hash(seed + 90) % 1000).cast(pl.Int64)
    # line counts 6..16, most near 10
    cumulative = (80, 180, 320, 480, 640, 760, 850, 910, 950, 980)  # body lines 0..10, most 2-5 (10 lines in all)
    chosen = pl.lit(10)
    for lines, bound in reversed(list(enumerate(cumulative))):
        chosen = pl.when(tpl < bound).then(lines).otherwise(chosen)
    tpl = chosen
    ending = _uniform(seed + 91, r)
    rows = (
        rows.with_columns(
            submission_id=pl.format(
                "s{}", ((r * 387_420_489 + 123_456_789) % 1_000_000_000).cast(pl.Utf8).str.zfill(9)
            ),
            tpl=tpl,
            number=(r.hash(seed + 92) % 100_000).cast(pl.Utf8),
            ending=ending,
        )
        .with_columns(
            code=pl.concat_str(
                pl.col("tpl").replace_strict({n: h for n, (h, _) in enumerate(templates)}, return_dtype=pl.Utf8),
                pl.col("number"),
                pl.col("tpl").replace_strict({n: t for n, (_, t) in enumerate(templates)}, return_dtype=pl.Utf8),
            ),
        )
        .with_columns(
            code=pl.when(pl.col("ending") < 0.05)
            .then(pl.col("code").str.replace_all("\n", "\r\n", literal=True))
            .when(pl.col("ending") < 0.15)
            .then(pl.col("code").str.strip_chars_end("\n"))
            .when(pl.col("ending") < 0.18)
            .then(pl.col("code") + "\n\n")
            .otherwise(pl.col("code")),
        )
    )
    language = ["C++ (GCC 9.2.1)", "C++14 (GCC 5.4.1)", "C++", "C++11"]
    submissions = rows.select(
        "submission_id",
        "problem_id",
        "user_id",
        submitted_at=pl.from_epoch("t", time_unit="s").dt.replace_time_zone("UTC").dt.cast_time_unit("us"),
        language=pl.lit("C++"),
        original_language=(r.hash(seed + 93) % len(language))
        .cast(pl.Int64)
        .replace_strict(dict(enumerate(language)), return_dtype=pl.Utf8),
        filename_ext=pl.lit("cpp"),
        status="status",
        cpu_time_ms=(r.hash(seed + 94) % 2000).cast(pl.Int64),
        memory_kb=(3000 + r.hash(seed + 95) % 60000).cast(pl.Int64),
        code_size=pl.col("code").str.len_bytes().cast(pl.Int64),
        accuracy=pl.lit(None, pl.Utf8),
        code="code",
        code_encoding=pl.lit("utf-8"),
        code_sha256=pl.format("{}{}", r.hash(seed + 96), r.hash(seed + 97)),  # synthetic, not a real digest
        code_bytes=pl.col("code").str.len_bytes().cast(pl.Int64),
        source_path=pl.format("data/{}/C++/{}.cpp", "problem_id", "submission_id"),
    ).cast(SUBMISSIONS_SCHEMA)
    passing = pl.col("runtime") == "pass"
    runtimes = (
        rows.filter(pl.col("runtime") != "none")
        .select(
            "submission_id",
            "problem_id",
            backend=pl.lit("cachegrind"),
            config_hash=pl.lit(CONFIG_HASH),
            profile=pl.lit("static"),
            test_set=pl.lit("pie"),  # the default set, auto, on problems with PIE's tests
            status=pl.when(passing)
            .then(pl.lit("OK"))
            .when(pl.col("status") == "Compile Error")
            .then(pl.lit("CE"))
            .when(pl.col("status") == "Accepted")
            .then(pl.lit("TLE"))
            .otherwise(pl.lit("WA")),
            all_pass=passing,
            n_tests="n_tests",
            n_passed=pl.when(passing).then(pl.col("n_tests")).otherwise(pl.col("n_tests") // 2),
            agg_cost=pl.when(passing).then(pl.col("cost")),
            agg_instructions=pl.when(passing).then((pl.col("cost") * 0.7).round().cast(pl.Int64)),
            codenet_status="status",
            mean_accuracy=pl.when(passing).then(1.0).otherwise(0.5),
            peak_memory_kb=pl.lit(3584, pl.Int64),
            binary_sha256=pl.lit(None, pl.Utf8),
            detail=pl.when(passing).then(pl.lit("")).otherwise(pl.lit("t0: synthetic")),
        )
        .select(SUBMISSION_RUNTIME_SCHEMA.keys())
        .cast(SUBMISSION_RUNTIME_SCHEMA)
    )
    del rows

    warehouse = Warehouse(str(root))
    for table, frame in (("submissions", submissions), ("submission_runtimes", runtimes)):
        for (problem_id,), part in frame.partition_by("problem_id", as_dict=True).items():
            warehouse.write_partition(table, problem_id, part.sort("submission_id"))
    Catalog(warehouse).rebuild()

    correct_rows = submissions.filter((pl.col("status") == "Accepted") & pl.col("user_id").is_not_null()).join(
        runtimes.filter("all_pass").select("problem_id", "submission_id"), on=["problem_id", "submission_id"]
    )
    lengths = correct_rows.group_by("problem_id", "user_id").len()["len"]
    return {
        "problems": int(submissions["problem_id"].n_unique()),
        "submissions": submissions.height,
        "accepted": int((submissions["status"] == "Accepted").sum()),
        "runtime_rows": runtimes.height,
        "correct": correct_rows.height,
        "trajectories": lengths.len(),
        "mean_length": float(lengths.mean()),
        "length_1": float((lengths == 1).mean()),
        "length_2_9": float(((lengths >= 2) & (lengths < 10)).mean()),
        "length_10": float((lengths >= 10).mean()),
        "max_length": int(lengths.max()),
        "candidate_pairs": int((lengths * (lengths - 1) // 2).sum()),
        "code_bytes": float(submissions["code_bytes"].mean()),
        "code_lines": float(submissions["code"].str.strip_chars_end("\n").str.count_matches("\n").mean() + 1),
        "lake_bytes": sum(f.stat().st_size for f in root.rglob("*.parquet")),
    }


def prepare(directory: Path, problems: int, programs: int, seed: int) -> dict:
    """The lake for these parameters in `directory`: reused when it was generated with them."""
    params = {"problems": problems, "programs": programs, "seed": seed, "version": 1}
    marker = directory / PARAMS_FILE
    if marker.exists():
        saved = json.loads(marker.read_text())
        if saved.get("params") == params:
            return saved["stats"]
    elif directory.exists() and any(directory.iterdir()):
        raise SystemExit(f"{directory} is not empty and holds no {PARAMS_FILE}: not overwriting it")
    for entry in ("submissions", "submission_runtimes", POLARS_DIR, *(f"{m}.parquet" for m in MODELS)):
        path = directory / entry
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    stats = generate(directory, problems, programs, seed)
    marker.write_text(json.dumps({"params": params, "stats": stats}))
    return stats


# ---- measuring (in the child) -----------------------------------------------------------------


class Meter:
    """Wall, CPU and peak RSS (VmHWM, reset per phase) of this process."""

    def __init__(self) -> None:
        self.resettable = self._reset()
        self.highest = 0  # the highest peak of any phase so far

    def overall(self) -> int:
        """This process's peak since it started measuring: every phase's, and the current one's."""
        return max(self.highest, self._status("VmHWM"))

    @staticmethod
    def _reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    @staticmethod
    def _status(field: str) -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self._reset()
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    def stop(self) -> dict:
        peak = self._status("VmHWM")
        self.highest = max(self.highest, peak)
        return {
            "wall": time.perf_counter() - self.wall,
            "cpu": self._cpu() - self.cpu,
            "peak": peak if self.resettable else None,
        }

    def rss(self) -> int:
        return self._status("VmRSS")


def _ordered(models: dict) -> list:
    done: list[str] = []
    while len(done) < len(models):
        ready = [n for n, m in models.items() if n not in done and all(d in done or d not in models for d in m.deps)]
        if not ready:
            raise RuntimeError("the five models' deps form a cycle")
        done.append(sorted(ready)[0])
    return [models[n] for n in done]


def run_duckdb(root: str) -> dict:
    from dbt_like import assets
    from dbt_like.models import load_models, sql_dir
    from pie_assets.dataset.config import DatasetConfig
    from pie_assets.defs.shared.resources import LakeResource

    config = DatasetConfig.load()
    models = {m.name: m for m in load_models(sql_dir(), config.vars) if m.name in MODELS}
    missing = set(MODELS) - set(models)
    if missing:
        raise RuntimeError(f"models not found in {sql_dir()}: {sorted(missing)}")
    errors = {m.name: m.error for m in models.values() if m.error}
    if errors:
        raise RuntimeError(f"models that cannot be read: {errors}")
    lake = LakeResource(warehouse=root)
    meter = Meter()
    result = {"after_imports": meter.rss(), "models": {}, "tests": {}, "failing": {}, "settings": config.duckdb}
    evaluate = assets._evaluate
    phases: dict[str, dict] = {}

    def timed_evaluate(con, model):  # the compute phase ends where the tests begin
        phases["compute"] = meter.stop()
        meter.start()
        evaluation = evaluate(con, model)
        phases["tests"] = meter.stop()
        meter.start()
        return evaluation

    assets._evaluate = timed_evaluate
    try:
        for model in _ordered(models):
            phases.clear()
            meter.start()
            stage = assets._stage_table(lake, model, config.duckdb)  # as the asset calls it
            evaluation = next(stage)
            blocked = [
                name
                for name, count in evaluation.failing.items()
                if count and next(t for t in model.tests if t.name == name).blocking
            ]
            if blocked:
                stage.close()
            else:
                next(stage, None)  # publish: rename into place, rebuild the catalog
            publish = meter.stop()
            compute = phases["compute"]
            peaks = [p for p in (compute["peak"], publish["peak"]) if p is not None]
            result["models"][model.name] = {
                "wall": compute["wall"] + publish["wall"],
                "cpu": compute["cpu"] + publish["cpu"],
                "publish": publish["wall"],
                "peak": max(peaks) if peaks else None,
                "rows": evaluation.rows,
            }
            result["tests"][model.name] = {**phases["tests"], "n": len(model.tests)}
            result["failing"][model.name] = {name: count for name, count in evaluation.failing.items() if count}
            if blocked:
                raise RuntimeError(f"{model.name}: blocking data tests failed: {result['failing'][model.name]}")
    finally:
        assets._evaluate = evaluate
    result["peak"] = meter.overall()
    return result


def polars_models(root: str, out: str, variables: dict) -> dict[str, pl.LazyFrame]:
    """The five models' rules in plain polars; each reads the files the previous ones wrote."""
    submissions = pl.scan_parquet(f"{root}/submissions/*/*.parquet", hive_partitioning=False)
    runtimes = pl.scan_parquet(f"{root}/submission_runtimes/*/*.parquet", hive_partitioning=False)
    key = ["problem_id", "user_id"]

    def upstream(name: str) -> pl.LazyFrame:
        return pl.scan_parquet(f"{out}/{name}.parquet")

    def trajectories() -> pl.LazyFrame:
        code = pl.col("code").str.replace_all("\r", "", literal=True).str.strip_chars_end("\n")
        return (
            submissions.filter((pl.col("status") == "Accepted") & pl.col("user_id").is_not_null())
            .join(
                runtimes.filter(pl.col("all_pass")).select(
                    "problem_id", "submission_id", "agg_cost", "agg_instructions", "n_tests", "backend", "config_hash"
                ),
                on=["problem_id", "submission_id"],
            )
            .sort("problem_id", "user_id", "submitted_at", "submission_id")
            .select(
                "problem_id",
                "user_id",
                "submission_id",
                position=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(key),
                trajectory_length=pl.len().over(key).cast(pl.Int64),
                submitted_at="submitted_at",
                status="status",
                agg_cost="agg_cost",
                agg_instructions="agg_instructions",
                n_tests="n_tests",
                backend="backend",
                config_hash="config_hash",
                n_lines=(code.str.count_matches("\n", literal=True) + 1).cast(pl.Int64),
            )
        )

    def trajectory_pairs() -> pl.LazyFrame:
        t = upstream("trajectories").select(
            "problem_id",
            "user_id",
            "submission_id",
            "position",
            "submitted_at",
            "status",
            "agg_cost",
            "n_lines",
            "backend",
            "config_hash",
        )
        pairs = t.join(t.drop("backend"), on=["problem_id", "user_id", "config_hash"], suffix="_g").filter(
            pl.col("position_g") > pl.col("position")
        )
        improvement = (pl.col("agg_cost") - pl.col("agg_cost_g")) / pl.col("agg_cost")
        if variables.get("filter_min_improvement", True):
            pairs = pairs.filter(improvement > variables["min_improvement"])
        if variables["filter_max_lines"]:
            pairs = pairs.filter(
                (pl.col("n_lines") < variables["max_lines"]) & (pl.col("n_lines_g") < variables["max_lines"])
            )
        if variables["filter_line_diff"]:
            pairs = pairs.filter(
                (pl.col("n_lines") - pl.col("n_lines_g")).abs() / pl.max_horizontal("n_lines", 1)
                < variables["max_relative_line_diff"]
            )
        code = submissions.select("problem_id", "submission_id", "code")
        return (
            pairs.join(
                code.rename({"submission_id": "submission_id", "code": "src_code"}), on=["problem_id", "submission_id"]
            )
            .join(
                code.rename({"submission_id": "submission_id_g", "code": "tgt_code"}),
                on=["problem_id", "submission_id_g"],
            )
            .sort("problem_id", "user_id", "position", "position_g")
            .select(
                src_id="submission_id",
                tgt_id="submission_id_g",
                user_id="user_id",
                problem_id="problem_id",
                src_code="src_code",
                tgt_code="tgt_code",
                src_agg_cost="agg_cost",
                tgt_agg_cost="agg_cost_g",
                speedup=pl.col("agg_cost") / pl.col("agg_cost_g"),
                improvement=improvement,
                src_status="status",
                tgt_status="status_g",
                src_position="position",
                tgt_position="position_g",
                src_submitted_at="submitted_at",
                tgt_submitted_at="submitted_at_g",
                src_lines="n_lines",
                tgt_lines="n_lines_g",
                backend="backend",
                config_hash="config_hash",
            )
        )

    def hq_pairs() -> pl.LazyFrame:
        return (
            upstream("trajectory_pairs")
            .sort("problem_id", "speedup", "src_id", "tgt_id", descending=[False, True, False, False])
            .with_columns(hq_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("problem_id"))
            .filter(pl.col("hq_rank") <= variables["hq_max_per_problem"])
        )

    def fastest_human() -> pl.LazyFrame:
        return (
            upstream("trajectories")
            .group_by("problem_id")
            .agg(
                pl.col("submission_id").sort_by("agg_cost", "submitted_at", "submission_id").first(),
                pl.col("agg_cost").min(),
                n_correct=pl.len().cast(pl.Int64),
            )
            .sort("problem_id")
        )

    def tier_labels() -> pl.LazyFrame:
        return (
            upstream("trajectories")
            .select(
                "submission_id",
                "problem_id",
                "agg_cost",
                cost_rank=pl.col("agg_cost").rank("min").over("problem_id").cast(pl.Int64),
                n_correct=pl.len().over("problem_id").cast(pl.Int64),
                fastest_agg_cost=pl.col("agg_cost").min().over("problem_id"),
            )
            .select(
                "submission_id",
                "problem_id",
                "agg_cost",
                reward=pl.col("fastest_agg_cost") / pl.col("agg_cost"),
                tier=(10 - (10 * (pl.col("cost_rank") - 1) / pl.col("n_correct")).floor()).cast(pl.Int32),
                cost_rank="cost_rank",
                n_correct="n_correct",
                fastest_agg_cost="fastest_agg_cost",
            )
            .sort("problem_id", "cost_rank", "submission_id")
        )

    return {
        "trajectories": trajectories,
        "trajectory_pairs": trajectory_pairs,
        "hq_pairs": hq_pairs,
        "fastest_human": fastest_human,
        "tier_labels": tier_labels,
    }


def run_polars(root: str) -> dict:
    from pie_assets.dataset.config import DatasetConfig

    out = os.path.join(root, POLARS_DIR)
    os.makedirs(out, exist_ok=True)
    builders = polars_models(root, out, DatasetConfig.load().vars)
    meter = Meter()
    result = {"after_imports": meter.rss(), "models": {}}
    for name in MODELS:
        meter.start()
        target = os.path.join(out, f"{name}.parquet")
        tmp = os.path.join(out, f".{name}.parquet.tmp")
        builders[name]().sink_parquet(tmp, compression="lz4")
        os.replace(tmp, target)
        result["models"][name] = meter.stop()
        result["models"][name]["rows"] = pl.scan_parquet(target).select(pl.len()).collect().item()
    result["peak"] = meter.overall()
    return result


def child(side: str, root: str, result_path: str) -> None:
    result = run_duckdb(root) if side == "duckdb" else run_polars(root)
    Path(result_path).write_text(json.dumps(result))


# ---- the parent: runs, comparison, report -----------------------------------------------------


def run_side(side: str, root: Path) -> dict:
    """One side in a fresh process; its result and, from wait4, that child's own peak RSS."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result_path = f.name
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, __file__, "--side", side, "--warehouse", str(root), "--result", result_path], cwd=ROOT
        )
        _, status, _ = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"the {side} side failed (exit {process.returncode})")
        result = json.loads(Path(result_path).read_text())
    finally:
        os.unlink(result_path)
    # Not wait4's ru_maxrss: Linux carries the forking parent's high-water RSS across exec, so once
    # the parent holds the compared results (GiBs) every later child would report the parent's peak.
    result["process_peak"] = result["peak"]
    result["process_wall"] = time.perf_counter() - started
    return result


def compare(root: Path) -> list[str]:
    """Differences between the two sides' outputs: schema, rows, row order and values."""
    problems = []
    for name in MODELS:
        ours, theirs = root / f"{name}.parquet", root / POLARS_DIR / f"{name}.parquet"
        a_schema, b_schema = pl.read_parquet_schema(ours), pl.read_parquet_schema(theirs)
        if a_schema != b_schema:
            problems.append(f"{name}: schemas differ: duckdb {dict(a_schema)} vs polars {dict(b_schema)}")
            continue
        for column, dtype in a_schema.items():  # one column at a time: the pairs' code is big
            a = pl.read_parquet(ours, columns=[column]).to_series()
            b = pl.read_parquet(theirs, columns=[column]).to_series()
            if a.len() != b.len():
                problems.append(f"{name}: {a.len()} rows (duckdb) vs {b.len()} (polars)")
                break
            if dtype.is_float():
                frame = pl.DataFrame({"a": a, "b": b})
                same = (
                    frame.select(
                        (pl.col("a").is_null() & pl.col("b").is_null())
                        | (
                            (pl.col("a") - pl.col("b")).abs()
                            <= FLOAT_RTOL * pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs())
                        )
                    )
                    .to_series()
                    .fill_null(False)
                )
            else:
                same = a.eq_missing(b)
            if not same.all():
                row = int(same.arg_min())
                problems.append(
                    f"{name}.{column}: {int((~same).sum())} rows differ, first at row {row}: "
                    f"duckdb {a[row]!r} vs polars {b[row]!r}"
                )
    return problems


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: sum(m["wall"] for m in r["models"].values()))


def gib(value: float | None) -> str:
    return "-" if value is None else f"{value / GIB:.2f} GiB"


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(stats: dict, runs: dict[str, list[dict]], problems: list[str]) -> None:
    duck, polars_run = best(runs["duckdb"]), best(runs["polars"])
    peak = {
        side: {name: max((r["models"][name]["peak"] or 0) for r in rs) or None for name in MODELS}
        for side, rs in runs.items()
    }
    header = (
        f"{'model':<18} {'rows':>11} {'DuckDB s':>9} {'publish':>8} {'CPU s':>7} {'peak RSS':>10}   "
        f"{'polars s':>9} {'CPU s':>7} {'peak RSS':>10}   {'DuckDB/polars':>13} {'(CPU)':>7}"
    )
    print(
        f"\nbest of {len(runs['duckdb'])} repeats per side (wall s; CPU s of the process, all threads; "
        "peak RSS = VmHWM during the model)"
    )
    print(header)
    print("-" * len(header))
    for name in MODELS:
        d, p = duck["models"][name], polars_run["models"][name]
        print(
            f"{name:<18} {d['rows']:>11,} {d['wall']:9.2f} {d['publish']:8.2f} {d['cpu']:7.2f} "
            f"{gib(peak['duckdb'][name]):>10}   "
            f"{p['wall']:9.2f} {p['cpu']:7.2f} {gib(peak['polars'][name]):>10}   {d['wall'] / p['wall']:12.2f}x "
            f"{d['cpu'] / p['cpu']:6.2f}x"
        )
    total = {
        side: sum(m["wall"] for m in r["models"].values()) for side, r in (("duckdb", duck), ("polars", polars_run))
    }
    cpu = {side: sum(m["cpu"] for m in r["models"].values()) for side, r in (("duckdb", duck), ("polars", polars_run))}
    process_peak = {side: max(r["process_peak"] for r in rs) for side, rs in runs.items()}
    print("-" * len(header))
    publish = sum(m["publish"] for m in duck["models"].values())
    print(
        f"{'total':<18} {'':>11} {total['duckdb']:9.2f} {publish:8.2f} {cpu['duckdb']:7.2f} "
        f"{gib(process_peak['duckdb']):>10}   "
        f"{total['polars']:9.2f} {cpu['polars']:7.2f} {gib(process_peak['polars']):>10}   "
        f"{total['duckdb'] / total['polars']:12.2f}x {cpu['duckdb'] / cpu['polars']:6.2f}x"
    )
    print(
        f"(DuckDB s includes publish: the staged file renamed into place and the catalog rebuilt, "
        f"Catalog.publish_table; without it DuckDB/polars is {(total['duckdb'] - publish) / total['polars']:.2f}x)"
    )
    print(
        f"(total peak = the whole child's; after imports: DuckDB child "
        f"{gib(duck['after_imports'])} (dagster, for dbt_like.assets), polars child {gib(polars_run['after_imports'])})"
    )
    settings = ", ".join(f"{k} = {v!r}" for k, v in duck.get("settings", {}).items()) or "none"
    print(f"DuckDB connection settings ([duckdb] of the dataset config): {settings}")
    print(
        "repeat totals (s): "
        + "; ".join(
            f"{side} " + ", ".join(f"{sum(m['wall'] for m in r['models'].values()):.2f}" for r in rs)
            for side, rs in runs.items()
        )
    )

    tests = duck["tests"]
    print(
        "\nDuckDB data tests (dbt_like.assets._evaluate on the staged file: count, hash, preview, every test; "
        "not in the ratio):"
    )
    for name in MODELS:
        t = tests[name]
        failing = duck["failing"][name]
        print(
            f"  {name:<18} {t['n']:>2} tests {t['wall']:7.2f} s ({t['cpu']:.2f} CPU s, peak {gib(t['peak'])})"
            + (f"  failing (warn): {failing}" if failing else "")
        )
    print(f"  {'total':<18}          {sum(t['wall'] for t in tests.values()):7.2f} s")

    ratio = total["duckdb"] / total["polars"]
    print(
        f"\ntargets: DuckDB/polars {ratio:.2f}x (<= {TARGET_RATIO:.1f}x: {verdict(ratio <= TARGET_RATIO)}); "
        f"DuckDB peak {gib(process_peak['duckdb'])} (< 4 GiB: {verdict(process_peak['duckdb'] < TARGET_PEAK)}); "
        f"polars peak {gib(process_peak['polars'])}"
    )
    pairs = duck["models"]["trajectory_pairs"]["rows"]
    print(
        f"pairs passing the filter: {pairs:,} of {stats['candidate_pairs']:,} i<j pairs "
        f"({100 * pairs / max(stats['candidate_pairs'], 1):.1f}%)"
    )
    if problems:
        print("\nRESULTS DIFFER:\n  " + "\n  ".join(problems))
    else:
        print(
            "results: identical (schema, row count, row order, values; floats to a relative "
            f"{FLOAT_RTOL:g}) for all five models"
        )
    print(load())


def describe(stats: dict, root: Path) -> None:
    print(
        f"lake {root}: {stats['problems']:,} problems, {stats['submissions']:,} submissions "
        f"({stats['accepted']:,} Accepted), {stats['runtime_rows']:,} runtime rows, "
        f"{stats['lake_bytes'] / GIB:.2f} GiB of Parquet"
    )
    print(
        f"correct programs (Accepted, all_pass, with a user): {stats['correct']:,} in {stats['trajectories']:,} "
        f"trajectories: mean length {stats['mean_length']:.3f}, length 1 {100 * stats['length_1']:.1f}%, "
        f"2-9 {100 * stats['length_2_9']:.1f}%, >= 10 {100 * stats['length_10']:.2f}%, longest {stats['max_length']}; "
        f"{stats['candidate_pairs']:,} i<j pairs before the filter"
    )
    print(
        f"code: synthetic C++ of realistic line structure, mean {stats['code_lines']:.1f} lines, "
        f"{stats['code_bytes']:.0f} bytes (real programs are ~1-2 KB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=4000)
    parser.add_argument("--programs", type=int, default=4_350_000, help="correct programs (Accepted, passing)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each side (alternating order)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warehouse", help="keep the generated lake here and reuse it (default: a temp dir)")
    parser.add_argument("--side", choices=("duckdb", "polars"), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        child(args.side, args.warehouse, args.result)
        return 0

    scratch = None if args.warehouse else tempfile.mkdtemp(prefix="bench_dataset_models_")
    root = Path(args.warehouse or scratch).resolve()
    try:
        started = time.perf_counter()
        stats = prepare(root, args.problems, args.programs, args.seed)
        print(f"generated or reused in {time.perf_counter() - started:.1f} s (not timed below)")
        describe(stats, root)
        runs: dict[str, list[dict]] = {"duckdb": [], "polars": []}
        for repeat in range(args.repeats):
            order = ("duckdb", "polars") if repeat % 2 == 0 else ("polars", "duckdb")
            for side in order:
                runs[side].append(run_side(side, root))
                print(
                    f"repeat {repeat + 1} {side}: {sum(m['wall'] for m in runs[side][-1]['models'].values()):.2f} s",
                    flush=True,
                )
        problems = compare(root)
        report(stats, runs, problems)
        return 1 if problems else 0
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
