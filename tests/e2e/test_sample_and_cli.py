"""The embedded sample through the real `pie` console script, as a new user runs it."""

from __future__ import annotations

import json

import pytest
from support.cli import pie

from pie_assets.codenet.ingest import ingest_problem, parse_metadata_of
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS


def test_sample_corpus_is_clean_and_rich():
    layout = CodeNetLayout(str(SAMPLE_CODENET_ROOT))
    ids = layout.discover_problem_ids()
    assert len(ids) >= 6
    metadata = parse_metadata_of(layout, ids)
    assert metadata.errors == {}
    tables = [ingest_problem(layout, p, str(SAMPLE_EXTRA_TESTS), metadata) for p in ids]
    subs = [row for t in tables for row in t.submissions.iter_rows(named=True)]
    assert len(subs) >= 60
    assert len({s["user_id"] for s in subs}) >= 10
    assert {s["status"] for s in subs} >= {
        "Accepted",
        "Wrong Answer",
        "Time Limit Exceeded",
        "Runtime Error",
        "Compile Error",
    }
    for t in tables:
        assert set(t.test_cases["origin"]) == {"html_sample", "codenet_derived", "extra_dir"}
        # Only the deliberate quirks (cpu_time -1 on a failed run) may be rejected in the sample.
        assert set(t.rejects["action"]) <= {"value_nulled"}, t.rejects.to_dicts()


def test_pie_run_then_sql_on_the_sample(tmp_path):
    """Ingestion only here (fast); test_runtime_sample.py runs the whole default graph."""
    run = pie("run", "--quiet", "--select", "group:codenet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "submissions" in run.stdout and "wall time" in run.stdout
    assert (tmp_path / "warehouse" / "pie.duckdb").exists()

    count = pie("sql", "select count(*) as n from submissions", "--format", "json", cwd=tmp_path)
    assert count.returncode == 0, count.stderr
    assert json.loads(count.stdout)[0]["n"] >= 60
    csv = pie(
        "sql", "select problem_id, count(*) from test_cases group by 1 order by 1", "--format", "csv", cwd=tmp_path
    )
    assert csv.stdout.splitlines()[0] == "problem_id,count_star()"
    table = pie("sql", "select status, count(*) n from submissions group by 1 order by 1", cwd=tmp_path)
    assert "Accepted" in table.stdout

    # Re-running is idempotent: same counts.
    again = pie("run", "--quiet", "--select", "group:codenet", cwd=tmp_path)
    assert again.returncode == 0
    assert json.loads(
        pie("sql", "select count(*) as n from submissions", "--format", "json", cwd=tmp_path).stdout
    ) == json.loads(count.stdout)


@pytest.mark.parametrize(
    "args, message",
    [
        (["sql", "select 1", "--warehouse", "nowhere"], "no tables in warehouse"),
        (["run", "--codenet", "/nonexistent"], "is not a directory"),
        (["run", "--problems", "p99999"], "unknown problem(s)"),
    ],
)
def test_errors_are_one_line(tmp_path, args, message):
    result = pie(*args, cwd=tmp_path)
    assert result.returncode == 1
    # Exactly one line: nothing else (a progress bar, a warning) may print before the error.
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pie: error:") and message in lines[0], result.stderr
