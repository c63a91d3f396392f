"""The `pie` CLI's arguments in process: `--select` expressions over the asset graph, and a prompt
strategy spelt one way wherever it is written (tests/e2e/test_cli_refusals.py runs the CLI itself)."""

from __future__ import annotations

import pytest

from pie_assets.code_location import build_defs
from pie_assets.evaluation.checkpoints import read_models_file
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.prompts import STRATEGIES, strategy_names
from pie_assets.selection import parse_selection
from pie_assets.settings import Settings

KNOWN = "known: instruction, few_shot, cot, retrieval, perf_conditioned"


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
        (
            "sinks(group:runtime)",
            {"runtime_annotations", "submission_runtimes", "generated_test_trials"},
        ),
        # one clause: Dagster's legacy meaning, one level up; in an expression `+` is every level
        ("+eval_pairs", {"eval_pairs", "fastest_human", "problem_splits", "submissions", "trajectory_pairs"}),
        ("+eval_pairs and group:codenet", {"problems", "submissions", "test_cases", "problem_statements"}),
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
