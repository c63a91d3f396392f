"""Benchmark: submission-metadata ingestion vs DuckDB's own read_csv over the same files.

Generates a CodeNet-shaped metadata set (default 1,000 problem CSVs, 1,000,000 rows: the real
column set, language and status mix, CRLF files, empty fields, negative cpu_time on failed runs),
then, in one run and on the same files, times
  floor: DuckDB `CREATE TABLE AS SELECT * FROM read_csv([...], columns=...)` (all files and columns);
  ours:  the ingest asset's metadata step: files read and parsed in batches of MAX_PARTITIONS_PER_RUN
         problems (split, validate, type, C++ filter, rejects), then per-problem Parquet files
         written from the same thread pool the asset uses.
and, for reference, DuckDB doing the whole step (read_csv, C++ filter, one Parquet file per problem
via COPY ... PARTITION_BY). Prints each timing (best of --repeat) and its ratio to the floor.

    python bench/ingest_metadata.py [--problems 1000] [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb

from pie_assets.codenet.submission_metadata import METADATA_HEADER, parse_metadata_files
from pie_assets.defs.partitions import MAX_PARTITIONS_PER_RUN
from pie_assets.lake.storage import Warehouse

LANGUAGES = [("C++", "C++14 (GCC 5.4.1)", "cpp", 57), ("Python", "Python3", "py", 18), ("Java", "Java8", "java", 8),
             ("C", "C", "c", 9), ("Ruby", "Ruby", "rb", 3), ("JavaScript", "JavaScript", "js", 5)]
STATUSES = [("Accepted", 55), ("Wrong Answer", 25), ("Time Limit Exceeded", 8), ("Runtime Error", 5),
            ("Compile Error", 5), ("Memory Limit Exceeded", 1), ("WA: Presentation Error", 1)]


def generate(directory: str, problems: int, rows: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    langs = [lang for lang in LANGUAGES for _ in range(lang[3])]
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    paths = []
    sid = 100_000_000
    per_problem = rows // problems
    for p in range(problems):
        pid = f"p{p:05d}"
        eol = "\r\n" if p % 3 == 0 else "\n"
        lines = [",".join(METADATA_HEADER)]
        for _ in range(per_problem):
            sid += 1
            lang, orig, ext, _ = rng.choice(langs)
            status = rng.choice(statuses)
            cpu = "" if status == "Compile Error" else ("-1" if status == "Runtime Error" and rng.random() < .3 else str(rng.randint(0, 2000)))
            mem = "" if status == "Compile Error" else str(rng.randint(1000, 300000))
            acc = "" if p % 2 else f"{rng.randint(0, 4)}/4"
            lines.append(f"s{sid:09d},{pid},u{rng.randint(0, 99999):09d},{rng.randint(1_300_000_000, 1_600_000_000)},"
                         f"{lang},{orig},{ext},{status},{cpu},{mem},{rng.randint(50, 5000)},{acc}")
        path = os.path.join(directory, f"{pid}.csv")
        with open(path, "w", newline="") as f:
            f.write(eol.join(lines) + eol)
        paths.append(path)
    return paths


def floor_duckdb(paths: list[str]) -> int:
    """DuckDB at its fastest: the column set given, so no per-file sniffing (which costs ~7x)."""
    con = duckdb.connect()
    columns = {name: "VARCHAR" for name in METADATA_HEADER}
    con.execute("create table t as select * from read_csv(?, header = true, auto_detect = false, columns = ?)",
                [paths, columns])
    return con.execute("select count(*) from t").fetchone()[0]


def duckdb_whole_step(paths: list[str], out_dir: str) -> int:
    """DuckDB doing the whole step itself: read the CSVs, keep C++, one Parquet file per problem."""
    con = duckdb.connect()
    columns = {name: "VARCHAR" for name in METADATA_HEADER}
    con.execute(
        f"copy (select * from read_csv(?, header = true, auto_detect = false, columns = ?) where language = 'C++') "
        f"to '{out_dir}' (format parquet, partition_by (problem_id), compression lz4, overwrite_or_ignore)",
        [paths, columns],
    )
    return len(os.listdir(out_dir))


def ours(paths: list[str], warehouse: Warehouse | None) -> int:
    """Batches parsed in the main thread; their Parquet writes overlap the next batch's parse."""
    rows = 0
    pending = []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for start in range(0, len(paths), MAX_PARTITIONS_PER_RUN):
            files = {}
            for path in paths[start : start + MAX_PARTITIONS_PER_RUN]:
                with open(path, "rb") as f:
                    files[os.path.basename(path)[:-4]] = (path, f.read())
            parsed = parse_metadata_files(files)
            assert not parsed.errors
            rows += sum(len(frame) for frame in parsed.frames.values())
            if warehouse is not None:
                pending += [pool.submit(warehouse.write_partition, "submissions_meta", key, frame.drop("line", "raw"))
                            for key, frame in parsed.frames.items()]
        for future in pending:
            future.result()
    return rows


def best_of(repeat: int, fn, *args) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        paths = generate(tmp, args.problems, args.rows)
        size = sum(os.path.getsize(p) for p in paths) / 1e6
        print(f"generated {len(paths)} CSVs, {args.rows:,} rows, {size:.0f} MB in {time.perf_counter() - start:.1f} s")
        floor_s, floor_rows = best_of(args.repeat, floor_duckdb, paths)
        parse_s, cpp_rows = best_of(args.repeat, ours, paths, None)
        write_s, _ = best_of(args.repeat, ours, paths, Warehouse(os.path.join(tmp, "wh")))
        duck_step_s, _ = best_of(args.repeat, duckdb_whole_step, paths, os.path.join(tmp, "duck"))
    print(f"duckdb read_csv (floor):           {floor_s:6.2f} s  {floor_rows:,} rows")
    print(f"pie parse+validate:                {parse_s:6.2f} s  {cpp_rows:,} C++ rows  ratio {parse_s / floor_s:.2f}x")
    print(f"pie parse+validate+write parquet:  {write_s:6.2f} s  ratio {write_s / floor_s:.2f}x")
    print(f"duckdb read_csv+write per problem: {duck_step_s:6.2f} s  ratio {duck_step_s / floor_s:.2f}x  "
          f"(pie is {write_s / duck_step_s:.2f}x of DuckDB doing the same step)")


if __name__ == "__main__":
    main()
