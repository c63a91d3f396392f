"""The `pie` CLI reads well: `pie sql` fits a result to the terminal (a table when it fits, else
one `column = value` line per column, never a header cut into pieces), and every command's
`--help` says what it does and what each option is."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import polars as pl
import pytest
from test_sample_and_cli import PIE, pie, pie_env

from pie_assets.cli import build_parser
from pie_assets.result_layout import MAX_ROWS, render

PROBLEM_COLUMNS = ["problem_id", "name", "dataset", "time_limit_ms", "memory_limit_kb", "rating", "tags", "complexity"]


@pytest.fixture(scope="module")
def sample_problems(tmp_path_factory) -> Path:
    """A warehouse holding the embedded sample's `problems` (7 rows, 8 columns: wider than 80)."""
    cwd = tmp_path_factory.mktemp("lake")
    run = pie("run", "--quiet", "--select", "problems", cwd=cwd)
    assert run.returncode == 0, run.stderr
    return cwd


def sql(cwd: Path, query: str, *args: str, columns: int = 80) -> str:
    result = subprocess.run(
        [*PIE, "sql", query, *args],
        cwd=cwd,
        env={**pie_env(cwd), "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _line_rows(text: str) -> list[dict[str, str]]:
    """The line layout read back: blocks of `name = value` lines separated by blank lines."""
    return [
        {name.strip(): value for name, value in (line.split(" = ", 1) for line in block.splitlines())}
        for block in text.strip().split("\n\n")
    ]


def test_a_wide_result_prints_one_line_per_column(sample_problems):
    text = sql(sample_problems, "select * from problems order by problem_id")
    assert max(map(len, text.splitlines())) <= 80
    rows = _line_rows(text)
    assert len(rows) == 7
    assert [list(row) for row in rows] == [PROBLEM_COLUMNS] * 7  # whole names, in order
    assert rows[0]["problem_id"] == "p90001" and rows[0]["name"] == "Pair Budget" and rows[0]["rating"] == "null"
    assert text.splitlines()[0] == "problem_id      = p90001"  # names padded to the longest
    assert "┆" not in text


def test_a_result_that_fits_prints_as_a_table(sample_problems):
    text = sql(sample_problems, "select problem_id, name from problems order by problem_id")
    lines = text.splitlines()
    assert lines[0].startswith("┌") and lines[1].split() == ["│", "problem_id", "┆", "name", "│"]
    assert "│ p90001     ┆ Pair Budget       │" in lines
    # The same wide query on a wide terminal is a table too, every header whole on one line.
    wide = sql(sample_problems, "select * from problems", columns=250).splitlines()
    assert [c.strip() for c in wide[1].strip("│").split("┆")] == PROBLEM_COLUMNS


def test_explicit_formats_override_the_terminal(sample_problems):
    table = sql(sample_problems, "select * from problems", "--format", "table").splitlines()
    assert [c.strip() for c in table[1].strip("│").split("┆")] == PROBLEM_COLUMNS  # wider than 80, not squeezed
    assert max(map(len, table)) > 80
    narrow = sql(sample_problems, "select problem_id from problems order by 1 limit 2", "--format", "line")
    assert narrow == "problem_id = p90001\n\nproblem_id = p90002\n"
    assert json.loads(sql(sample_problems, "select count(*) as n from problems", "--format", "json")) == [{"n": 7}]
    assert (
        sql(sample_problems, "select problem_id from problems order by 1 limit 1", "--format", "csv")
        == "problem_id\np90001\n"
    )


def test_line_layout_of_empty_multiline_and_long_results():
    assert render(pl.DataFrame({"a": [], "b": []}), "line") == "(no rows; columns: a, b)\n"
    code = render(pl.DataFrame({"id": ["s1"], "code": ["int main() {\n}"]}), "line")
    assert code == "id   = s1\ncode = int main() {\n       }\n"
    *body, note = render(pl.DataFrame({"n": range(MAX_ROWS + 5)}), "line").splitlines()
    assert _line_rows("\n".join(body))[-1] == {"n": str(MAX_ROWS - 1)} and len(_line_rows("\n".join(body))) == MAX_ROWS
    assert note == f"({MAX_ROWS + 5} rows; first {MAX_ROWS} shown, use --format csv for all)"


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_command_has_a_description_and_every_option_a_help_text():
    parser = build_parser()
    commands = _commands(parser)
    assert set(commands) == {"run", "sql", "measure", "eval", "train", "ui"}
    for name, command in {"pie": parser, **commands}.items():
        assert command.description and len(command.description) > 30, name
        for action in command._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (
                f"pie {name} {action.option_strings or action.dest}"
            )


def test_help_prints_the_description(tmp_path):
    result = pie("ui", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "print the UI's URL" in " ".join(result.stdout.split())
    assert "--port PORT the webserver's port" in " ".join(result.stdout.split())
