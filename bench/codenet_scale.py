"""Benchmark: the lakehouse at CodeNet scale, on a generated CodeNet-shaped tree.

Generates 4,053 problems in the layout ingestion reads (metadata/problem_list.csv,
metadata/pXXXXX.csv, data/pXXXXX/C++/<id>.cpp, problem_descriptions/pXXXXX.html,
derived/input_output/data/pXXXXX/{input,output}.txt) with CodeNet's submission counts: 13.9M
metadata rows, heavy-tailed over the problems (lognormal, 10 to 50,000 per problem), 57% C++
(8.0M rows, 54% of them Accepted), then measures on it, printing each figure as it comes:
  (a) discovery: `codenet_problem_sensor` evaluated as the daemon does (`evaluate_tick` on a
      real DagsterInstance in a temporary DAGSTER_HOME; it registers the new problems itself, in
      one insert), ticks repeated until every problem is registered: the time, and the runs it
      requests (target: < 60 s; bench/discovery_registration.py sets it beside one query per key);
  (b) ingestion: `pie run --select group:codenet` over the whole tree, a subprocess as a user
      runs it, into that instance: rows/s and problems/s;
  (c) the catalog: `Catalog.rebuild` over the full lake;
  (d) `pie sql`: the real CLI as a subprocess (interpreter start and imports included; `select 1`
      shows their share) and in process (`Catalog.connect` + the query), median of --repeat,
      for a count and a per-problem lookup (target for the lookup: < 1 s);
  (e) GraphQL: `dagster-webserver` on that instance, the query the Partitions tab of
      `submissions` issues (PartitionHealthQuery: partitionKeysByDimension and
      assetPartitionStatuses of every key) and the selected partition's AssetPartitionStaleQuery,
      first call and median of --repeat.

What is scaled down (and why): sources exist for C++ rows only (ingestion reads no other
language); they are 200-800 byte programs, and the 8.0M source paths are hard links to a pool
of --pool distinct files (8.0M files would need 8.0M inodes, and the disk's are shared), so a
problem's codes repeat once it has more than --pool C++ rows (none does at the default), and the
lake's `code` column is smaller than real code would make it. Problem pages are short
AIZU-style pages with 0-7 samples in the real pages' proportions; 132/4,053 problems have no
derived test, as in CodeNet. Scratch files (tree, lake, Dagster home) go to --dir, the system's
temp directory (a disk) by default: tmpfs counts every hard link as an inode, and /dev/shm has
~3M; after generation the tree sits in the page cache (the figures read it from memory).

    python bench/codenet_scale.py [--problems 4053] [--submissions N] [--dir DIR] [--keep]
    (56 min on 2 shared cores at load 4-9, 46 of them ingestion)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
from dagster._core.definitions.partitions.context import partition_loading_context
from ingest_metadata import LANGUAGES, STATUSES

from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.problem_list import PROBLEM_LIST_HEADER
from pie_assets.codenet.submission_metadata import CPP_LANGUAGE, METADATA_HEADER
from pie_assets.defs.codenet.sensors import codenet_problem_sensor
from pie_assets.defs.shared.partitions import PROBLEMS, problems_partitions
from pie_assets.defs.shared.resources import CodeNetSource, LakeResource
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import open_instance

CODENET_PROBLEMS = 4053
CODENET_SUBMISSIONS = 13_900_000
AIZU_SHARE = 0.617  # 2,467 of the 3,999 real pages are AIZU's
NO_DERIVED_SHARE = 132 / CODENET_PROBLEMS
# Samples per real page (docs/concepts/ingestion.md): 0..7 samples on 62, 1320, 889, 1150, 405, 135, 28, 10 pages.
SAMPLE_WEIGHTS = [62, 1320, 889, 1150, 405, 135, 28, 10]
USERS = 500_000
LOOKUP = "p02345"
PARTITION_HEALTH_QUERY = """
query PartitionHealthQuery($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      id
      partitionKeysByDimension { name type partitionKeys }
      assetPartitionStatuses {
        ... on TimePartitionStatuses { ranges { status startTime endTime startKey endKey } }
        ... on DefaultPartitionStatuses { materializedPartitions materializingPartitions failedPartitions }
        ... on MultiPartitionStatuses { primaryDimensionName }
      }
    }
  }
}
"""
PARTITION_STALE_QUERY = """
query AssetPartitionStaleQuery($assetKey: AssetKeyInput!, $partitionKey: String!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      id
      staleStatus(partition: $partitionKey)
      staleCauses(partition: $partitionKey) { key { path } reason category dependency { path } }
    }
  }
}
"""


@dataclass
class Summary:
    """The figures of one run, printed as they come and again at the end."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)


@dataclass(frozen=True)
class Tree:
    root: str
    problems: list[str]
    metadata_rows: int
    cpp_rows: int


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def submission_counts(problems: int, total: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed counts (lognormal, mean/median ~2) between 10 and 50,000 that sum to `total`."""
    raw = rng.lognormal(0.0, 1.2, problems)
    counts = np.clip(raw / raw.sum() * total, 10, 50_000).astype(np.int64)
    order = np.argsort(-counts)
    shortfall, i = total - int(counts.sum()), 0
    while shortfall:  # spread the rounding (and clipping) difference over the problems, largest first
        step = int(np.clip(shortfall, -(counts[order[i]] - 10), 50_000 - counts[order[i]]))
        counts[order[i]] += step
        shortfall -= step
        i = (i + 1) % problems
    return counts


def source_pool(directory: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` distinct small C++ programs; returns their byte sizes."""
    os.makedirs(directory)
    sizes = np.empty(size, dtype=np.int64)
    padding = rng.integers(0, 12, size)
    for k in range(size):
        lines = [f"    s += (i * {k % 997 + 1}) % {k % 89 + 2};  // step {j}" for j in range(int(padding[k]))]
        code = (
            "#include <bits/stdc++.h>\nusing namespace std;\n\nint main() {\n    long long n, s = 0;\n"
            f"    cin >> n;  // variant {k}\n    for (long long i = 0; i < n; ++i) {{\n"
            + "\n".join(lines)
            + f"\n    }}\n    cout << s + {k} << endl;\n    return 0;\n}}\n"
        ).encode()
        with open(os.path.join(directory, f"{k}.cpp"), "wb") as f:
            f.write(code)
        sizes[k] = len(code)
    return sizes


def metadata_frame(
    problem_id: str, first_sid: int, n: int, aizu: bool, pool_sizes: np.ndarray, rng: np.random.Generator
) -> tuple[pl.DataFrame, np.ndarray]:
    """One problem's metadata rows, CodeNet's columns and value quirks; and the pool index of each C++ row."""
    lang_weights = np.array([w for *_, w in LANGUAGES], dtype=float)
    status_weights = np.array([w for _, w in STATUSES], dtype=float)
    lang = rng.choice(len(LANGUAGES), n, p=lang_weights / lang_weights.sum())
    status = rng.choice(len(STATUSES), n, p=status_weights / status_weights.sum())
    sid = np.arange(first_sid, first_sid + n)
    cpp = lang == [name for name, *_ in LANGUAGES].index(CPP_LANGUAGE)
    pool_index = (sid * 2_654_435_761) % len(pool_sizes)
    status_name = pl.Series([s for s, _ in STATUSES]).gather(status)
    runtime_error = (status_name == "Runtime Error").to_numpy()
    cpu = np.where(runtime_error & (rng.random(n) < 0.3), -1, rng.integers(0, 2000, n))
    frame = pl.DataFrame(
        {
            "submission_id": "s" + pl.Series(sid).cast(pl.Utf8),
            "problem_id": pl.repeat(problem_id, n, eager=True),
            "user_id": "u" + pl.Series(rng.integers(0, USERS, n)).cast(pl.Utf8).str.pad_start(9, "0"),
            "date": np.sort(rng.integers(1_300_000_000, 1_600_000_000, n)),
            "language": pl.Series([name for name, *_ in LANGUAGES]).gather(lang),
            "original_language": pl.Series([orig for _, orig, *_ in LANGUAGES]).gather(lang),
            "filename_ext": pl.Series([ext for _, _, ext, _ in LANGUAGES]).gather(lang),
            "status": status_name,
            "cpu_time": cpu,
            "memory": rng.integers(1000, 300_000, n),
            "code_size": np.where(cpp, pool_sizes[pool_index], rng.integers(50, 5000, n)),
            "accuracy": (pl.Series(rng.integers(0, 5, n)).cast(pl.Utf8) + "/4")
            if aizu
            else pl.repeat(None, n, dtype=pl.Utf8, eager=True),
        }
    )
    # A compile error has no run: CodeNet leaves its cpu_time and memory empty; Accepted passed every test.
    frame = frame.with_columns(
        *(pl.when(pl.col("status") != "Compile Error").then(pl.col(c)).alias(c) for c in ("cpu_time", "memory")),
        pl.when(pl.col("status") == "Accepted")
        .then(pl.lit("4/4" if aizu else None))
        .otherwise(pl.col("accuracy"))
        .alias("accuracy"),
    )
    return frame.select(METADATA_HEADER), np.where(cpp, pool_index, -1)


def problem_page(title: str, samples: list[tuple[str, str]]) -> str:
    """An AIZU-style page: statement sections, then `Sample Input N` / `Output for the Sample Input N`."""
    parts = [
        f"<H1>{title}</H1>\n<p>\nGiven $N$ integers, print their sum modulo a prime.\n</p>\n",
        "<H2>Input</H2>\n<pre>\n$N$\n$a_1$ ... $a_N$\n</pre>\n",
        "<H2>Output</H2>\n<p>\nThe sum.\n</p>\n",
        "<H2>Constraints</H2>\n<ul>\n<li>$1 \\leq N \\leq 10^5$</li>\n</ul>\n",
    ]
    for number, (given, expected) in enumerate(samples, start=1):
        parts.append(
            f"<H2>Sample Input {number}</H2>\n<pre>\n{given}</pre>\n\n"
            f"<H2>Output for the Sample Input {number}</H2>\n<pre>\n{expected}</pre>\n"
        )
    return "\n".join(parts)


def generate(scratch: str, problems: int, submissions: int, pool: int, seed: int = 0) -> Tree:
    rng = np.random.default_rng(seed)
    root = os.path.join(scratch, "Project_CodeNet")
    layout = CodeNetLayout(root)
    pool_dir = os.path.join(scratch, "source_pool")
    pool_sizes = source_pool(pool_dir, pool, rng)
    for sub in ("metadata", "problem_descriptions"):
        os.makedirs(os.path.join(root, sub))
    ids = [f"p{i:05d}" for i in range(problems)]
    aizu = np.arange(problems) < round(AIZU_SHARE * problems)
    counts = submission_counts(problems, submissions, rng)
    listing = pl.DataFrame(
        {
            "id": ids,
            "name": [f"Problem {i}" for i in range(problems)],
            "dataset": np.where(aizu, "AIZU", "AtCoder").tolist(),
            "time_limit": np.where(aizu, rng.choice([1000, 2000, 3000, 8000], problems), 2000).tolist(),
            "memory_limit": np.where(aizu, rng.choice([65536, 131072], problems), 1048576).tolist(),
            **{name: [None] * problems for name in PROBLEM_LIST_HEADER[5:]},
        },
        schema_overrides={name: pl.Utf8 for name in PROBLEM_LIST_HEADER[5:]},
    )
    listing.write_csv(layout.problem_list_csv)
    sample_counts = rng.choice(len(SAMPLE_WEIGHTS), problems, p=np.array(SAMPLE_WEIGHTS) / sum(SAMPLE_WEIGHTS))
    no_derived = rng.random(problems) < NO_DERIVED_SHARE
    first_sid, cpp_rows = 100_000_000, 0
    started = time.perf_counter()
    for index, problem_id in enumerate(ids):
        frame, pool_index = metadata_frame(
            problem_id, first_sid, int(counts[index]), bool(aizu[index]), pool_sizes, rng
        )
        first_sid += len(frame)
        frame.write_csv(layout.metadata_csv(problem_id), line_terminator="\r\n" if index % 3 == 0 else "\n")
        cpp_dir = os.path.join(layout.data_dir(problem_id), CPP_LANGUAGE)
        os.makedirs(cpp_dir)
        cpp = pool_index >= 0
        for sid, k in zip(
            frame["submission_id"].filter(pl.Series(cpp)).to_list(), pool_index[cpp].tolist(), strict=True
        ):
            os.link(os.path.join(pool_dir, f"{k}.cpp"), os.path.join(cpp_dir, f"{sid}.cpp"))
        cpp_rows += int(cpp.sum())
        samples = [
            (f"{n + 1}\n{' '.join(str(v) for v in range(1, n + 2))}\n", f"{(n + 1) * (n + 2) // 2}\n")
            for n in range(int(sample_counts[index]))
        ]
        with open(layout.description_html(problem_id), "w") as f:
            f.write(problem_page(f"Problem {index}", samples))
        if samples and not no_derived[index]:
            derived = layout.derived_tests_dir(problem_id)
            os.makedirs(derived)
            for name, text in zip(("input.txt", "output.txt"), samples[0], strict=True):
                with open(os.path.join(derived, name), "w") as f:
                    f.write(text)
        if (index + 1) % 500 == 0:
            print(
                f"  generated {index + 1}/{problems} problems, {first_sid - 100_000_000:,} rows, "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
    return Tree(root, ids, int(counts.sum()), cpp_rows)


def discover(tree: Tree, instance: dg.DagsterInstance, scratch: str, summary: Summary) -> None:
    """(a) Sensor ticks as the daemon runs them, until every problem is a registered partition.

    The sensor registers the new problems itself (one `add_dynamic_partitions` call, one insert)
    and returns no dynamic-partition request, so the daemon has nothing left to register."""
    resources = {
        "codenet": CodeNetSource(root=tree.root, extra_tests_dir=None),
        "lake": LakeResource(warehouse=os.path.join(scratch, "warehouse")),
    }  # no pie_pairs yet
    cursor, ticks, runs, seconds = None, 0, [], 0.0
    while True:
        ticks += 1
        started = time.perf_counter()
        with dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor) as context:
            data = codenet_problem_sensor.evaluate_tick(context)
        seconds += time.perf_counter() - started
        if data.dynamic_partitions_requests:
            raise RuntimeError("codenet_problem_sensor returned dynamic-partition requests: it registers its own")
        cursor = data.cursor
        runs += data.run_requests or []
        if set(tree.problems) <= set(instance.get_dynamic_partitions(PROBLEMS)):
            break
    ranged = [r for r in runs if r.partition_key_range]
    with partition_loading_context(dynamic_partitions_store=instance):
        covered = sum(len(problems_partitions.get_partition_keys_in_range(r.partition_key_range)) for r in ranged)
    summary.add(
        f"(a) discovery: {len(tree.problems):,} partitions registered in {seconds:.2f} s over {ticks} sensor "
        f"tick(s), the sensor's one bulk insert included (target < 60 s: {verdict(seconds < 60)}; issue #27's "
        f"< 2 s: {verdict(seconds < 2)}); {len(runs)} runs requested: {len(ranged)} ranged ingest runs covering "
        f"{covered:,} partitions + {len(runs) - len(ranged)} problem_list run"
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pie(*args: str, capture: bool = True) -> subprocess.CompletedProcess:
    """The real CLI, as a user runs it (`pie` is this module's console script)."""
    return subprocess.run(
        [sys.executable, "-m", "pie_assets.cli", *args], capture_output=capture, text=True, check=True
    )


def ingest(tree: Tree, warehouse: str, summary: Summary) -> None:
    """(b) `pie run --select group:codenet` over the whole tree."""
    cpu, started = children_cpu(), time.perf_counter()
    pie(
        "run",
        "--select",
        "group:codenet",
        "--codenet",
        tree.root,
        "--warehouse",
        warehouse,
        *([] if sys.stderr.isatty() else ["--quiet"]),
        capture=False,
    )
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    with Catalog(Warehouse(warehouse)).connect() as con:
        rows = con.execute("select count(*) from submissions").fetchone()[0]
        size = con.execute("select sum(code_bytes) from submissions").fetchone()[0]
    lake_mb = sum(f.stat().st_size for f in Path(warehouse).rglob("*.parquet")) / 1e6
    summary.add(
        f"(b) ingestion: {len(tree.problems):,} problems, {tree.metadata_rows:,} metadata rows, {rows:,} C++ "
        f"submissions ({size / 1e9:.2f} GB of code) in {seconds:.1f} s wall, {cpu:.0f} s CPU: "
        f"{rows / seconds:,.0f} submissions/s, {tree.metadata_rows / seconds:,.0f} metadata rows/s, "
        f"{len(tree.problems) / seconds:.1f} problems/s; lake {lake_mb:,.0f} MB of Parquet"
    )
    if rows != tree.cpp_rows:
        summary.add(f"    note: {tree.cpp_rows - rows:,} C++ rows generated but not ingested (see ingest_rejects)")


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first call, median of `repeat` more), seconds."""
    runs = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return runs[0], statistics.median(runs[1:])


def catalog_build(warehouse: str, repeat: int, summary: Summary) -> None:
    """(c) A full rebuild: every table's view over its files, swapped in atomically."""
    first, median = timed(lambda: Catalog(Warehouse(warehouse)).rebuild(), repeat)
    summary.add(f"(c) catalog rebuild over the full lake: first {first:.2f} s, median {median:.2f} s")


def sql_latency(tree: Tree, warehouse: str, repeat: int, summary: Summary) -> None:
    """(d) The CLI (a new process each time, as a user types it) and the in-process query."""
    lookup = LOOKUP if LOOKUP in tree.problems else tree.problems[len(tree.problems) // 2]
    queries = {
        "select 1 (start-up alone)": "select 1",
        "count": "select count(*) from submissions",
        f"lookup {lookup}": f"select * from submissions where problem_id = '{lookup}'",
    }

    def in_process(query: str) -> None:
        with Catalog(Warehouse(warehouse)).connect() as con:
            con.execute(query).fetchall()

    for label, query in queries.items():
        cli = timed(partial(pie, "sql", query, "--warehouse", warehouse, "--format", "csv"), repeat)
        inner = timed(partial(in_process, query), repeat)
        target = (
            f" (target < 1 s: CLI {verdict(cli[1] < 1)}, in process {verdict(inner[1] < 1)})"
            if label.startswith("lookup")
            else ""
        )
        summary.add(
            f"(d) pie sql {label}: CLI subprocess first {cli[0]:.2f} s, median {cli[1]:.2f} s; in process "
            f"(Catalog.connect + query) first {inner[0] * 1e3:.0f} ms, median {inner[1] * 1e3:.0f} ms{target}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        method="POST",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        body = json.load(response)
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body["data"]


def partitions_page(tree: Tree, warehouse: str, scratch: str, repeat: int, summary: Summary) -> None:
    """(e) The webserver on the instance that holds the partitions and materialisations."""
    port = free_port()
    env = {**os.environ, "PIE_CODENET": tree.root, "PIE_WAREHOUSE": warehouse}
    env.pop("PIE_EXTRA_TESTS", None)
    log_path = os.path.join(scratch, "webserver.log")
    started = time.perf_counter()
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster_webserver",
                "-m",
                "pie_assets.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    key = {"assetKey": {"path": ["submissions"]}}
    try:
        while True:
            if server.poll() is not None or time.perf_counter() - started > 300:
                raise RuntimeError("dagster-webserver did not start:\n" + Path(log_path).read_text()[-3000:])
            try:
                graphql(port, "{ version }", {})
                break
            except OSError:
                time.sleep(0.5)
        startup = time.perf_counter() - started
        answer = graphql(port, PARTITION_HEALTH_QUERY, key)["assetNodeOrError"]
        keys = answer["partitionKeysByDimension"][0]["partitionKeys"]
        materialized = answer["assetPartitionStatuses"]["materializedPartitions"]
        health = timed(lambda: graphql(port, PARTITION_HEALTH_QUERY, key), repeat)
        stale = timed(lambda: graphql(port, PARTITION_STALE_QUERY, {**key, "partitionKey": tree.problems[-1]}), repeat)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    summary.add(
        f"(e) GraphQL, dagster-webserver up in {startup:.1f} s; Partitions tab of submissions "
        f"(PartitionHealthQuery: {len(keys):,} keys, {len(materialized):,} materialised): first "
        f"{health[0]:.2f} s, median {health[1]:.2f} s; one partition's AssetPartitionStaleQuery: "
        f"first {stale[0]:.2f} s, median {stale[1]:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=CODENET_PROBLEMS)
    parser.add_argument(
        "--submissions", type=int, help="metadata rows in all (default: CodeNet's 13.9M, scaled to --problems)"
    )
    parser.add_argument("--pool", type=int, default=65_536, help="distinct source files the C++ paths link to")
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats after the first call")
    parser.add_argument("--dir", help="scratch directory (default: the system's temp directory)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (its path is printed)")
    args = parser.parse_args()
    submissions = args.submissions or round(CODENET_SUBMISSIONS * args.problems / CODENET_PROBLEMS)
    scratch = tempfile.mkdtemp(prefix="pie-codenet-scale-", dir=args.dir)
    summary = Summary()
    try:
        started = time.perf_counter()
        tree = generate(scratch, args.problems, submissions, args.pool)
        summary.add(
            f"generated under {scratch}: {len(tree.problems):,} problems, {tree.metadata_rows:,} metadata rows, "
            f"{tree.cpp_rows:,} C++ sources (links to {args.pool:,} distinct files) in "
            f"{time.perf_counter() - started:.0f} s"
        )
        os.environ["DAGSTER_HOME"] = os.path.join(scratch, "dagster_home")
        os.environ.pop("PIE_EXTRA_TESTS", None)
        warehouse = os.path.join(scratch, "warehouse")
        discover(tree, open_instance(), scratch, summary)
        ingest(tree, warehouse, summary)
        catalog_build(warehouse, args.repeat, summary)
        sql_latency(tree, warehouse, args.repeat, summary)
        partitions_page(tree, warehouse, scratch, args.repeat, summary)
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(
            f"\n=== CodeNet-scale figures ({os.cpu_count()} CPUs, load average {load}, scratch on "
            f"{args.dir or tempfile.gettempdir()}, {time.perf_counter() - started:.0f} s in all) ==="
        )
        print("\n".join(summary.lines))
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
