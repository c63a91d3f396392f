"""A warehouse is a directory that can be moved or copied (issue 23): `pie sql`, the assets and
`pie eval` answer from the files where the warehouse is now, never from where it was built, and
a reader that cannot write the directory answers too. One real `pie run` (one problem, through
the baselines' evaluation) builds the warehouse the tests move (and move back) and copy; the
catalog a previous release wrote (absolute paths in its views) is made here from a few lake
tables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_sample_and_cli import PIE, pie, pie_env

from pie_assets.lake.catalog import CATALOG_FILE, LAYOUT, MANIFEST_FILE, Catalog, view_sql
from pie_assets.lake.storage import Warehouse

PROBLEM = "p90006"  # the sample's seeded test split: it has evaluation pairs
COUNTS = (
    "select (select count(*) from submissions) submissions, (select count(*) from problems) problems, "
    "(select count(*) from runtime_annotations) runtimes, (select count(*) from eval_pairs) pairs, "
    "(select count(*) from model_evaluations) evaluations"
)


def counts(warehouse: Path, cwd: Path, *wrapper: str) -> dict[str, int]:
    """The tables' row counts by `pie sql`, run in `cwd` (under `wrapper`, e.g. bwrap)."""
    result = subprocess.run(
        [*wrapper, *PIE, "sql", COUNTS, "--warehouse", str(warehouse), "--format", "json"],
        cwd=cwd,
        env=pie_env(cwd),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]


def read_only(directory: Path) -> list[str]:
    """A bubblewrap prefix under which `directory` is a read-only mount (root included)."""
    return ["bwrap", "--dev-bind", "/", "/", "--ro-bind", str(directory), str(directory)]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The project directory of a `pie run` (its Dagster home and `warehouse/`). Tests change
    only copies; one that moves the warehouse moves it back (`moved`)."""
    place = tmp_path_factory.mktemp("built")
    run = pie("run", "--quiet", "--problems", PROBLEM, "--select", "*model_evaluations", cwd=place)
    assert run.returncode == 0, run.stderr
    return place


@pytest.fixture(scope="module")
def expected(built) -> dict[str, int]:
    found = counts(built / "warehouse", built)
    assert all(found.values()), found  # every table the tests compare has rows
    return found


def copy_of(built: Path, target: Path) -> Path:
    shutil.copytree(built / "warehouse", target, symlinks=True)
    return target


@contextmanager
def moved(built: Path, target: Path) -> Iterator[Path]:
    """The built warehouse `mv`ed to `target` for the block, then back for the other tests."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(built / "warehouse", target)
    try:
        yield target
    finally:
        os.rename(target, built / "warehouse")


@pytest.mark.slow
def test_a_moved_warehouse_answers_in_its_new_place_without_a_rebuild(built, expected, tmp_path):
    catalog = (built / "warehouse" / CATALOG_FILE).read_bytes()
    with moved(built, tmp_path / "disk2" / "deeper" / "lake") as place:
        assert counts(place, tmp_path) == expected
        assert (place / CATALOG_FILE).read_bytes() == catalog  # nothing to rebuild: the views name no root
        assert not (built / "warehouse").exists()


@pytest.mark.slow
def test_a_copy_whose_original_is_deleted_is_queried_and_evaluated_from_its_own_files(built, expected, tmp_path):
    copy = copy_of(built, tmp_path / "copy")
    with moved(built, tmp_path / "deleted" / "warehouse"):  # gone from where the copy was made
        assert counts(copy, built) == expected
        # `pie run` evaluated the baselines in full; `--fast` names its mode in every row, so the
        # rows read back are this evaluation's, computed from the copy's generation_runtimes.
        evaluation = pie("eval", "--model", "identity", "--fast", "--quiet", "--warehouse", str(copy), cwd=built)
        assert evaluation.returncode == 0, evaluation.stderr
        with Catalog(Warehouse(str(copy))).connect() as con:
            rows = con.execute(
                "select mode, n_pairs, speedup from model_evaluations where checkpoint = 'identity'"
            ).fetchall()
        assert rows == [("fast", 1, 1.0)]  # the slow program itself: never faster than itself
        assert not (built / "warehouse").exists()  # nothing was written where the copy came from


@pytest.mark.slow
def test_a_copy_reads_its_own_files_while_the_original_stands_even_from_the_originals_directory(
    built, expected, tmp_path
):
    """The copy's files are changed: a query of the copy that read the original's would miss it.
    Run in the original's directory, where its tables' relative names exist too."""
    original = built / "warehouse"
    copy = copy_of(built, tmp_path / "copy")
    partition = copy / "submissions" / f"problem_id={PROBLEM}" / "data.parquet"
    pl.read_parquet(partition).head(2).write_parquet(partition)
    pl.read_parquet(copy / "problems.parquet").head(1).write_parquet(copy / "problems.parquet")

    assert counts(copy, original) == {**expected, "submissions": 2, "problems": 1}
    assert counts(original, original) == expected


@pytest.mark.slow
def test_a_read_only_reader_of_a_moved_warehouse_answers(built, expected, tmp_path):
    with moved(built, tmp_path / "mounted" / "warehouse") as place:
        denied = subprocess.run([*read_only(place), "touch", str(place / "probe")], capture_output=True, text=True)
        assert denied.returncode != 0 and "Read-only file system" in denied.stderr  # the premise: no write
        assert counts(place, tmp_path, *read_only(place)) == expected

        # A plain DuckDB client, as the README tells it: the search path set to the warehouse...
        with duckdb.connect(str(place / CATALOG_FILE), read_only=True) as con:
            con.execute(f"set file_search_path = '{place}'")
            assert con.execute("select count(*) from submissions").fetchone()[0] == expected["submissions"]
            assert con.execute("select count(*) from problems").fetchone()[0] == expected["problems"]
        # ... or run in the warehouse's directory; elsewhere, without the setting, it finds nothing.
        script = (
            "import duckdb; print(duckdb.connect('pie.duckdb', read_only=True)"
            ".sql('select count(*) from submissions').fetchone()[0])"
        )
        inside = subprocess.run([PIE[0], "-c", script], cwd=place, capture_output=True, text=True, timeout=120)
        assert inside.returncode == 0 and int(inside.stdout) == expected["submissions"], inside.stderr
        with (
            duckdb.connect(str(place / CATALOG_FILE), read_only=True) as con,
            pytest.raises(duckdb.IOException, match='No files found that match the pattern "submissions/'),
        ):
            con.execute("select count(*) from submissions")


def _frame(problem: str, n: int) -> pl.DataFrame:
    return pl.DataFrame({"problem_id": [problem] * n, "submission_id": [f"{problem}-{i}" for i in range(n)]})


def test_a_catalog_of_the_previous_release_is_read_after_a_move_and_rebuilt_where_it_can_be(tmp_path):
    """The previous release's views named absolute paths (layout 2). Moved, such a catalog would
    read nothing, or a copy's original: a read-only reader gets views built in memory instead, and
    the first reader that can write rebuilds the catalog with relative names."""
    first = tmp_path / "first"
    warehouse = Warehouse(str(first))
    for problem, n in (("p1", 2), ("p2", 3)):
        warehouse.write_partition("submissions", problem, _frame(problem, n))
    Catalog(warehouse).write_table("problems", pl.DataFrame({"problem_id": ["p1", "p2"]}))
    Catalog(warehouse).register_model("per_problem", "select problem_id, count(*) n from submissions group by 1")
    os.unlink(first / CATALOG_FILE)
    with duckdb.connect(str(first / CATALOG_FILE)) as con:  # as the previous release built it
        for name, location in warehouse.tables().items():
            con.execute(view_sql(name, location, union_by_name=False))
        con.execute("create view per_problem as select problem_id, count(*) n from submissions group by 1")
    manifest = json.loads((first / MANIFEST_FILE).read_text())
    (first / MANIFEST_FILE).write_text(json.dumps({**manifest, "layout": 2}))
    moved = tmp_path / "moved"
    os.rename(first, moved)
    query = [
        "select (select count(*) from submissions) s, (select count(*) from problems) p, "
        "(select sum(n)::int from per_problem) n",
        "--warehouse",
        str(moved),
        "--format",
        "json",
    ]

    read = subprocess.run(
        [*read_only(moved), *PIE, "sql", *query],
        cwd=tmp_path,
        env=pie_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == [{"s": 5, "p": 2, "n": 5}]
    assert json.loads((moved / MANIFEST_FILE).read_text())["layout"] == 2  # it wrote nothing

    written = pie("sql", *query, cwd=tmp_path)
    assert json.loads(written.stdout) == [{"s": 5, "p": 2, "n": 5}], written.stderr
    assert json.loads((moved / MANIFEST_FILE).read_text())["layout"] == LAYOUT
    with duckdb.connect(str(moved / CATALOG_FILE), read_only=True) as con:
        sql = dict(con.execute("select view_name, sql from duckdb_views() where not internal").fetchall())
    assert "read_parquet('submissions/*/*.parquet'" in sql["submissions"]
    assert "read_parquet('[p]roblems.parquet'" in sql["problems"]
    assert not any(str(tmp_path) in text for text in sql.values())
