"""Self-play pairs on a hand-made problem (read n, print 1 + ... + n): real compiles, sandboxed
runs and cachegrind measurements through a real Annotator, a scripted generator for the model,
and the model-free baseline through the Dagster asset on a hand-written lake."""

from __future__ import annotations

import hashlib

import dagster as dg
import polars as pl
import pytest

from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.shared.resources import LakeResource, SimulatorResource
from pie_assets.defs.training.selfplay import selfplay_pairs
from pie_assets.evaluation.config import config_path as evaluation_config_path
from pie_assets.evaluation.pipeline import generation_id
from pie_assets.evaluation.prompts import strategy
from pie_assets.evaluation.sampling import Completion, GenerationRequest, SamplingSettings
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runtime.annotate import Annotator, Program, runtime_cases
from pie_assets.runtime.annotate import TestCase as RuntimeCase  # not "Test*": pytest would collect it
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.training.config import TrainingConfig
from pie_assets.training.selfplay import (
    SELFPLAY_SCHEMA,
    Seed,
    SelfPlaySettings,
    new_program_prompt,
    self_play,
)

STATEMENT = "Given n, print 1 + 2 + ... + n."
NS = (2_000_000, 1_000_001, 7)
SEED = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); printf("%lld\\n", n * (n + 1) / 2); }
"""
# Sum of the odd numbers up to n: new behaviour. `volatile` keeps g++ -O3 from replacing the loop
# by its closed form, so the loop costs ~n/2 iterations and the formula below is far cheaper.
ODD_LOOP = """#include <cstdio>
int main() {
    long long n;
    scanf("%lld", &n);
    volatile long long s = 0;
    for (long long i = 1; i <= n; i += 2) s = s + i;
    printf("%lld\\n", (long long)s);
}
"""
ODD_WHILE = """#include <cstdio>
int main() {
    long long n, i = 1;
    scanf("%lld", &n);
    volatile long long s = 0;
    while (i <= n) { s = s + i; i += 2; }
    printf("%lld\\n", (long long)s);
}
"""
BROKEN = "int main( {\n"
CRASH = "int main() { return 3; }\n"
ODD_FORMULA = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); long long m = (n + 1) / 2; printf("%lld\\n", m * m); }
"""
ODD_WRONG = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); printf("%lld\\n", n * n); }
"""


def _fenced(code: str) -> str:
    return f"Here it is:\n```cpp\n{code}```\n"


class ScriptedGenerator:
    """Answers the new-program prompt and the optimisation prompt with fixed programs, in order."""

    name = "scripted"
    identity = "test:scripted"
    cacheable = False
    task_cpus = 0.0  # answers at once

    def __init__(self, new: list[str], optimised: list[str]) -> None:
        self.new, self.optimised = new, optimised
        self.calls: list[tuple[GenerationRequest, int, SamplingSettings]] = []

    def generate(
        self, request: GenerationRequest, n: int, settings: SamplingSettings, *, first_index: int = 0
    ) -> list[Completion]:
        self.calls.append((request, n, settings))
        programs = self.new if request.src_code == SEED else self.optimised
        return [Completion(_fenced(code), "stop") for code in programs[:n]]


def _tests(ns: tuple[int, ...]) -> pl.DataFrame:
    rows = []
    for i, n in enumerate(ns):
        data = f"{n}\n"
        rows.append(
            {
                "problem_id": "p1",
                "test_id": f"p1_extra_{i}",
                "origin": "extra_dir",
                "input": data,
                "expected_output": f"{n * (n + 1) // 2}\n",
                "input_sha256": hashlib.sha256(data.encode()).hexdigest(),
            }
        )
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def annotator(tmp_path_factory) -> Annotator:
    return Annotator(SimulatorConfig.load(DEFAULT_CONFIG_PATH), str(tmp_path_factory.mktemp("cache")), Sandbox())


def test_scripted_model_finds_new_behaviour_and_a_fast_pair(annotator):
    cases = tuple(runtime_cases(_tests(NS)))
    seed = Seed("p1", "s-seed", SEED, STATEMENT, cases)
    generator = ScriptedGenerator(new=[ODD_LOOP, BROKEN, CRASH, SEED, ODD_WHILE], optimised=[ODD_FORMULA, ODD_WRONG])
    settings = SelfPlaySettings(min_tests=3, optimizations=2)
    result = self_play([seed], generator, "scripted", annotator, settings)

    assert result.errors == {}
    # 5 asked; BROKEN does not compile; CRASH does not run; the seed's copy prints the expected outputs;
    # the loop and the while loop are new and agree everywhere: one group. Of its two optimisations,
    # ODD_WRONG prints n*n (wrong), ODD_FORMULA is right and far cheaper.
    assert result.counts.as_dict() == {
        "seeds": 1,
        "programs_asked": 5,
        "compiled": 4,
        "ran_every_test": 3,
        "new_behaviour": 2,
        "groups": 1,
        "optimisations_asked": 2,
        "optimisations_correct": 1,
        "kept_pairs": 1,
    }
    assert result.counts.explain(settings) is None

    new_request, n_new, new_settings = generator.calls[0]
    assert new_request.prompt == new_program_prompt(STATEMENT, SEED) and STATEMENT in new_request.prompt
    assert n_new == 5 and new_settings.top_p == 0.9
    opt_request, n_opt, _ = generator.calls[1]
    assert opt_request.prompt == strategy("instruction").build(ODD_LOOP) and n_opt == 2

    assert result.pairs.schema == pl.Schema(SELFPLAY_SCHEMA)
    pair = result.pairs.row(0, named=True)
    src_id = generation_id(
        "scripted", "selfplay-new", "s-seed", "", 0, hashlib.sha256(new_request.prompt.encode()).hexdigest()
    )
    tgt_id = generation_id(
        "scripted", "instruction", src_id, "", 0, hashlib.sha256(opt_request.prompt.encode()).hexdigest()
    )
    assert (pair["problem_id"], pair["group_id"], pair["src_id"], pair["tgt_id"]) == ("p1", "p1:0", src_id, tgt_id)
    assert (pair["src_code"], pair["tgt_code"], pair["generator"], pair["synthetic"]) == (
        ODD_LOOP,
        ODD_FORMULA,
        "scripted",
        True,
    )
    # The costs are the programs' measurements against the odd sums computed here by hand.
    odd_sums = [
        RuntimeCase(c.test_id, c.input, f"{((n + 1) // 2) ** 2}\n", c.input_sha256)
        for c, n in zip(cases, NS, strict=True)
    ]
    src = annotator.measure_program(Program.from_text("a", ODD_LOOP), "p1", odd_sums).summary
    tgt = annotator.measure_program(Program.from_text("b", ODD_FORMULA), "p1", odd_sums).summary
    assert src["all_pass"] and tgt["all_pass"]
    assert (pair["src_agg_cost"], pair["tgt_agg_cost"]) == (src["agg_cost"], tgt["agg_cost"])
    assert pair["speedup"] == src["agg_cost"] / tgt["agg_cost"] and pair["speedup"] >= 5

    # The same run with a bar no pair clears (every compile and measurement now cached): nothing kept, and why.
    strict = SelfPlaySettings(min_tests=3, optimizations=2, min_speedup=1000)
    again = self_play([seed], generator, "scripted", annotator, strict)
    assert again.pairs.is_empty() and again.counts.optimisations_correct == 1 and again.counts.kept_pairs == 0
    assert again.counts.explain(strict) == "no correct optimised program was at least 1000x cheaper"


def test_settings_defaults_and_validation():
    assert SelfPlaySettings.load(TrainingConfig.from_values({})) == SelfPlaySettings()
    assert SelfPlaySettings() == SelfPlaySettings(
        generator="identity", min_tests=20, new_programs=5, top_p=0.9, min_speedup=5.0, max_pairs_per_group=3
    )
    assert SelfPlaySettings.from_section({"min_speedup": 2}).min_speedup == 2.0
    with pytest.raises(ValueError, match="unknown keys min_test$"):
        SelfPlaySettings.from_section({"min_test": 3})
    with pytest.raises(ValueError, match="new_programs = '5' is not a int"):
        SelfPlaySettings.from_section({"new_programs": "5"})
    with pytest.raises(ValueError, match="top_p must be in"):
        SelfPlaySettings.from_section({"top_p": 1.5})


def _lake(root: str) -> None:
    """p1 (train, 3 tests), p2 (train, 2 tests: below min_tests), p3 (val): only p1 is a seed."""
    store = Warehouse(root)
    problems = {"p1": ("train", 3), "p2": ("train", 2), "p3": ("val", 3)}
    pl.DataFrame(
        {
            "problem_id": list(problems),
            "submission_id": [f"s-{p}" for p in problems],
            "agg_cost": [1.0] * 3,
            "n_correct": [1] * 3,
        }
    ).write_parquet(f"{root}/fastest_human.parquet")
    pl.DataFrame({"problem_id": list(problems), "split": [s for s, _ in problems.values()]}).write_parquet(
        f"{root}/problem_splits.parquet"
    )
    for problem, (_, tests) in problems.items():
        store.write_partition(
            "submissions",
            problem,
            pl.DataFrame({"submission_id": [f"s-{problem}"], "problem_id": [problem], "code": [SEED]}),
        )
        store.write_partition(
            "problem_statements", problem, pl.DataFrame({"problem_id": [problem], "statement": [STATEMENT]})
        )
        store.write_partition("test_cases", problem, _tests(NS[:tests]).with_columns(problem_id=pl.lit(problem)))


def test_identity_baseline_asset_keeps_nothing_and_says_why(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    _lake(str(warehouse))
    training = tmp_path / "training.toml"
    training.write_text("[selfplay]\nmin_tests = 3\nnew_programs = 2\n")
    monkeypatch.setenv("PIE_TRAINING_CONFIG", str(training))
    resources = {
        "lake": LakeResource(warehouse=str(warehouse)),
        "simulator": SimulatorResource(config_path=str(DEFAULT_CONFIG_PATH), cache_dir=str(tmp_path / "cache")),
        "evaluation": EvaluationResource(
            config_path=str(evaluation_config_path()),
            checkpoints_dir=str(tmp_path / "ck"),
            models_file=str(tmp_path / "models.toml"),
            index_dir=str(tmp_path / "index"),
            reports_dir=str(tmp_path / "reports"),
        ),
    }
    result = dg.materialize([selfplay_pairs], resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("selfplay_pairs")[0].metadata
    stages = {k[len("stage_") :]: v.value for k, v in metadata.items() if k.startswith("stage_")}
    # The seed itself, twice: it compiles and runs, and prints the expected output everywhere.
    assert stages == {
        "seeds": 1,
        "programs_asked": 2,
        "compiled": 2,
        "ran_every_test": 2,
        "new_behaviour": 0,
        "groups": 0,
        "optimisations_asked": 0,
        "optimisations_correct": 0,
        "kept_pairs": 0,
    }
    assert metadata["dagster/row_count"].value == 0 and metadata["generator"].value == "identity"
    assert metadata["found_nothing"].value.startswith("every generated program that ran printed the expected output")
    assert [c.name for c in metadata["dagster/column_schema"].value.columns] == list(SELFPLAY_SCHEMA)
    with Catalog(Warehouse(str(warehouse))).connect() as con:  # `pie sql` sees the table
        assert con.execute("select count(*) from selfplay_pairs").fetchone() == (0,)
