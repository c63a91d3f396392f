"""The `pie` CLI refuses bad arguments before any work (no Dagster instance, no warehouse: exit 2,
argparse's usage and one error line naming what to give); accepts its global flags before or
after the command; takes bare asset names anywhere in `--select`; and spells a prompt strategy
one way, wherever it is written."""

from __future__ import annotations

import json

import dagster as dg
import pytest
from test_sample_and_cli import pie

from pie_assets.definitions import build_defs
from pie_assets.evaluation.checkpoints import read_models_file
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.prompts import STRATEGIES, strategy_names
from pie_assets.selection import parse_selection
from pie_assets.settings import Settings

KNOWN = "known: instruction, few_shot, cot, retrieval, perf_conditioned"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["eval", "--model", "identity", "--strategy", "perf-conditionedd"],
            f"argument --strategy: unknown prompt strategy 'perf-conditionedd'; {KNOWN}",
        ),
        (
            ["eval", "--model", "no-such-checkpoint", "--strategy", "perf-conditioned"],  # the strategy passes
            "--model 'no-such-checkpoint' is neither a known checkpoint",
        ),
        (
            ["run", "--select", "problms or problem_list_rejects"],
            "no asset 'problms' (did you mean problems, prompts, problem_splits?)",
        ),
        (["--debug", "run", "--select", "problems or group:codnet"], "no group 'codnet' (did you mean codenet?)"),
        (["run", "--select", "(problems or submissions"], "unexpected end of selection at character 25"),
        (["run", "--select", "problems problem_list_rejects"], "unexpected 'problem_list_rejects' at character 10"),
        (["run", "--select", "problems or prob-lems"], "token recognition error at: '-' (at character 17)"),
        (["run", "--select", "no_such_* or problems"], "no asset 'no_such_*'"),
        (["run", "--select", "tag:no=such"], "matches no asset"),
        (["run", "--engine", "gpu"], "argument --engine: invalid choice: 'gpu'"),
    ],
)
def test_refusals_come_before_any_work(tmp_path, args, message):
    result = pie(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    *usage, error = result.stderr.splitlines()
    assert usage[0].startswith(f"usage: pie {args[0] if args[0] != '--debug' else args[1]} ")
    assert error.startswith("pie ") and message in error, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no warehouse, no .dagster


@pytest.mark.parametrize("position", ["before", "after"])
def test_global_flags_before_or_after_the_command(tmp_path, position):
    """--debug (a traceback instead of one line) and --warehouse, on either side of `sql`."""
    flags = ["--debug", "--warehouse", str(tmp_path / "nowhere")]
    command = ["sql", "select 1"]
    result = pie(*(flags + command if position == "before" else command + flags), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert f"no tables in warehouse {tmp_path / 'nowhere'}" in result.stderr, result.stderr


def test_select_takes_bare_names_joined_by_or(tmp_path):
    """The first two assets (unpartitioned: cheap), selected by bare names; --warehouse before
    `run` is the one written, --debug after it shows Dagster's logs."""
    warehouse = tmp_path / "lake"
    run = pie(
        "--quiet",
        "--warehouse",
        str(warehouse),
        "run",
        "--select",
        "problems or problem_list_rejects",
        "--debug",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "RUN_SUCCESS" in run.stderr  # --debug after the command: Dagster's DEBUG logs
    instance = dg.DagsterInstance.from_config(str(tmp_path / ".dagster"))
    materialised = {
        key
        for key in ("problems", "problem_list_rejects")
        if instance.get_latest_materialization_event(dg.AssetKey(key)) is not None
    }
    assert materialised == {"problems", "problem_list_rejects"}
    assert instance.get_latest_materialization_event(dg.AssetKey("submissions")) is None
    counts = pie(
        "sql",
        "select (select count(*) from problems) as problems, (select count(*) from problem_list_rejects) as rejects",
        "--format",
        "json",
        "--warehouse",
        str(warehouse),
        cwd=tmp_path,
    )
    assert json.loads(counts.stdout) == [{"problems": 7, "rejects": 0}], counts.stderr


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return build_defs(Settings.resolve(warehouse=str(tmp_path_factory.mktemp("lake")))).resolve_asset_graph()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("problems", {"problems"}),
        ("problems or problem_list_rejects", {"problems", "problem_list_rejects"}),
        ('"problems" or key:problem_list_rejects', {"problems", "problem_list_rejects"}),
        (
            "(problems or group:codenet) and not test_cases",
            {"problems", "problem_list_rejects", "submissions", "problem_statements", "ingest_rejects"},
        ),
        ("test_* or problems", {"test_cases", "problems"}),
        ("sinks(group:runtime)", {"runtime_annotations", "submission_runtimes"}),
        # one clause: Dagster's legacy meaning, one level up; in an expression `+` is every level
        ("+eval_pairs", {"eval_pairs", "fastest_human", "problem_splits", "submissions", "trajectory_pairs"}),
        ("+eval_pairs and group:codenet", {"problems", "submissions", "test_cases"}),
        ("1+eval_pairs and group:codenet", {"submissions"}),
    ],
)
def test_selection_forms(graph, text, expected):
    assert {key.to_user_string() for key in parse_selection(text, graph).resolve(graph)} == expected


def test_strategy_names_have_one_spelling():
    assert strategy_names(["perf-conditioned", "perf_conditioned", "few-shot", "cot"], "here") == (
        "perf_conditioned",
        "few_shot",
        "cot",
    )
    assert strategy_names(list(STRATEGIES), "here") == tuple(STRATEGIES)
    with pytest.raises(ValueError, match=f"^here: unknown prompt strategy 'nope'; {KNOWN}$"):
        strategy_names(["cot", "nope"], "here")


def test_evaluation_config_strategies_in_either_spelling(tmp_path):
    config = tmp_path / "evaluation.toml"
    config.write_text('[evaluation]\nstrategies = ["instruction", "perf-conditioned"]\n')
    assert EvaluationConfig.load(config).strategies == ("instruction", "perf_conditioned")
    config.write_text('[evaluation]\nstrategies = ["instruction", "perf-conditionned"]\n')
    with pytest.raises(
        ValueError,
        match=f"evaluation config {config}, \\[evaluation\\] strategies: unknown prompt "
        f"strategy 'perf-conditionned'; {KNOWN}",
    ):
        _ = EvaluationConfig.load(config).strategies


def test_models_file_strategies_in_either_spelling(tmp_path):
    models = tmp_path / "models.toml"
    entry = '[[model]]\nname = "m"\nbase_url = "http://127.0.0.1:1/v1"\nmodel = "m"\nstrategies = {}\n'
    models.write_text(entry.format('["perf-conditioned", "cot"]'))
    (spec,) = read_models_file(str(models))
    assert spec.strategies == ("perf_conditioned", "cot")
    models.write_text(entry.format('["chain-of-thought"]'))
    with pytest.raises(
        ValueError,
        match=f"models file {models}, entry 1: strategies: unknown prompt strategy 'chain-of-thought'; {KNOWN}",
    ):
        read_models_file(str(models))


def test_a_bad_models_file_stops_pie_eval_before_any_work(tmp_path):
    warehouse = tmp_path / "lake"
    warehouse.mkdir()
    (warehouse / "models.toml").write_text(
        '[[model]]\nname = "m"\nbase_url = "http://127.0.0.1:1/v1"\nmodel = "m"\nstrategies = ["nope"]\n'
    )
    result = pie("eval", "--model", "m", "--warehouse", str(warehouse), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"pie: error: models file {warehouse / 'models.toml'}, entry 1: strategies: unknown prompt strategy "
        f"'nope'; {KNOWN}"
    ]
    assert not (tmp_path / ".dagster").exists() and sorted(p.name for p in warehouse.iterdir()) == ["models.toml"]
