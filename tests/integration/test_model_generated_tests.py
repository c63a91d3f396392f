"""The model-written generator path through the `generated_tests` asset: `[generated_tests] model`
names a models-file checkpoint served by a real OpenAI-compatible HTTP server on 127.0.0.1, whose
generator program for the sample's p90001 (N K, then N prices) is compiled and run sandboxed, and
whose inputs go through the accepted programs' consensus like the model-free ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.json_http_server import serve_json

from pie_assets.code_location import build_defs
from pie_assets.defs.shared.partitions import PROBLEMS
from pie_assets.runs import partition_range_tags
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH

PROBLEM = "p90001"
# N K, then N prices: N = min(3000, 10 * scale) (the statement's bounds), seeded.
GENERATOR = r"""
#include <cstdio>
#include <cstdlib>
#include <random>
int main(int argc, char **argv) {
    long long n = 10 * std::atoll(argv[1]);
    if (n > 3000) n = 3000;
    std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
    std::printf("%lld %llu\n", n, 1 + (unsigned long long)(rng() % 2000000000ULL));
    for (long long i = 0; i < n; i++)
        std::printf("%llu%c", 1 + (unsigned long long)(rng() % 1000000000ULL), i + 1 == n ? '\n' : ' ');
}
"""


class ModelServer:
    """An OpenAI-compatible chat endpoint answering every choice with the generator program."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def answer(self, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.requests.append(body)
        content = f"A generator:\n\n```cpp\n{GENERATOR.strip()}\n```\n"
        choices = [
            {"index": i, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            for i in range(body["n"])
        ]
        return (
            200,
            {},
            {"id": "c", "object": "chat.completion", "created": 1, "model": body["model"], "choices": choices},
        )


@pytest.fixture
def server() -> Iterator[tuple[ModelServer, str]]:
    fake = ModelServer()
    with serve_json(fake.answer) as url:
        yield fake, url


def _config(tmp_path: Path) -> Path:
    """The default config with the model named and a small model-free search."""
    text = DEFAULT_CONFIG_PATH.read_text()
    for old, new in (
        ('\nmodel = ""', '\nmodel = "fake-generator"'),
        ("\nmodel_samples = 2 ", "\nmodel_samples = 1 "),
        ("\nmodel_scales = [1, 10, 100, 1000]", "\nmodel_scales = [1, 30, 300]"),
        ("\nmutations_per_test = 6 ", "\nmutations_per_test = 1 "),
        ("\nmax_scale = 4096 ", "\nmax_scale = 2 "),
        ("\nmax_programs = 16 ", "\nmax_programs = 3 "),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "simulator.toml"
    path.write_text(text)
    return path


def test_a_model_written_generator_feeds_the_consensus(sample_settings, instance, tmp_path, server):
    fake, url = server
    models = tmp_path / "models.toml"
    models.write_text(f'[[model]]\nname = "fake-generator"\nbase_url = "{url}"\nmodel = "tiny-coder"\n')
    settings = replace(sample_settings, simulator_config=str(_config(tmp_path)), models_file=str(models))
    defs = build_defs(settings)
    instance.add_dynamic_partitions(PROBLEMS, [PROBLEM])

    def materialize(selection: list[str]) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            list(defs.assets),
            instance=instance,
            resources=dict(defs.resources),
            tags=partition_range_tags(PROBLEM, PROBLEM),
            selection=selection,
        )

    materialize(["submissions", "test_cases", "ingest_rejects", "problem_statements"])
    result = materialize(["generated_tests", "generated_test_trials"])
    assert all(check.passed for check in result.get_asset_check_evaluations())

    (request,) = fake.requests  # one generator program asked for the problem
    assert "N K" in request["messages"][-1]["content"]  # the statement is in the prompt
    warehouse = Path(settings.warehouse)
    trials = pl.read_parquet(warehouse / "generated_test_trials" / f"problem_id={PROBLEM}" / "data.parquet")
    model = trials.filter(pl.col("generator") == "model:fake-generator").sort("scale")
    assert model["scale"].to_list() == [1, 30, 300]
    assert set(model["outcome"]) <= {"kept", "not_selected"}, model.select("scale", "outcome", "detail")
    tests = pl.read_parquet(warehouse / "generated_tests" / f"problem_id={PROBLEM}" / "data.parquet")
    kept = tests.filter(pl.col("generator") == "model:fake-generator")
    assert kept.height >= 1 and kept["parent_test_id"].null_count() == kept.height
    assert kept["consensus_size"].to_list() == [3] * kept.height  # every accepted program run agreed
    first_line = kept["input"].str.split("\n").list.first().str.split(" ").list.first().cast(pl.Int64)
    assert set(first_line.to_list()) <= {10, 300, 3000}
