"""The `pie` CLI's layouts and help in process: the line layout of empty, multi-line and long
results, and every command's description and every option's help text."""

from __future__ import annotations

import argparse

import polars as pl

from pie_assets.cli import build_parser
from pie_assets.result_layout import MAX_ROWS, render


def _line_rows(text: str) -> list[dict[str, str]]:
    """The line layout read back: blocks of `name = value` lines separated by blank lines."""
    return [
        {name.strip(): value for name, value in (line.split(" = ", 1) for line in block.splitlines())}
        for block in text.strip().split("\n\n")
    ]


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
