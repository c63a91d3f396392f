"""Generated tests with real g++ and bubblewrap: the consensus of accepted programs (agreeing,
disagreeing, crashing, the harness failing), and the assets on the sample through Dagster (at
least 5 validated tests per problem, every accepted program agreeing, byte-identical again)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

import pie_assets
from pie_assets.code_location import build_defs
from pie_assets.codenet.text import sha256_hex
from pie_assets.defs.shared.partitions import PROBLEMS
from pie_assets.runs import partition_range_tags
from pie_assets.runtime.annotate import Annotator
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.testgen.candidates import Candidate, TrialOutcome
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.consensus import Consensus
from pie_assets.testgen.generate import generate_tests

SAMPLE = Path(pie_assets.__file__).parent / "sample_corpus"
# Sum of N numbers: two correct programs, one wrong from 4 numbers on, one crashing from 6 on.
SUM = """#include <cstdio>
int main(){int n;long long s=0,x;scanf("%d",&n);while(n--){scanf("%lld",&x);s+=x;}printf("%lld\\n",s);}
"""
SUM_CIN = """#include <iostream>
int main(){int n;long long s=0,x;std::cin>>n;for(int i=0;i<n;i++){std::cin>>x;s+=x;}std::cout<<s<<std::endl;}
"""
SUM_WRONG_FROM_4 = """#include <cstdio>
int main(){int n;long long s=0,x;scanf("%d",&n);for(int i=0;i<n&&i<3;i++){scanf("%lld",&x);s+=x;}
printf("%lld\\n",s);}
"""
SUM_CRASH_FROM_6 = """#include <cstdio>
#include <cstdlib>
int main(){int n;long long s=0,x;scanf("%d",&n);if(n>5)abort();while(n--){scanf("%lld",&x);s+=x;}
printf("%lld\\n",s);}
"""


def _submissions(programs: dict[str, str], status: str = "Accepted") -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "submission_id": sid,
                "status": status,
                "language": "C++",
                "code": code,
                "code_encoding": "utf-8",
                "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
            }
            for sid, code in programs.items()
        ]
    )


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A cache the sandbox user can reach, so binaries are bound as they are (not staged copies)."""
    directory = Path(tempfile.mkdtemp(prefix="pie-testgen-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


@pytest.fixture
def annotator(public_dir) -> Annotator:
    return Annotator(SimulatorConfig.load(), str(public_dir / "cache"), Sandbox())


def _consensus(annotator: Annotator, programs: dict[str, str], **settings) -> Consensus:
    consensus, left_out = Consensus.for_problem(
        annotator, _submissions(programs), GeneratedTestsSettings(**settings), ThreadPoolExecutor(2)
    )
    assert left_out == []
    return consensus


def test_agreeing_programs_keep_an_input_with_the_first_programs_output(annotator):
    consensus = _consensus(annotator, {"s2": SUM_CIN, "s1": SUM})
    verdict = consensus.judge("3\n1 2 3\n")
    assert verdict.agreed and verdict.n_programs == 2 and verdict.expected_output == "6\n"
    assert len(verdict.costs) == 2 and all(0 <= c < 0.05 for c in verdict.costs)
    assert [p.submission_id for p in consensus.programs] == ["s1", "s2"]  # by submission id


def test_disagreement_and_crashes_are_rejections_with_the_programs_named(annotator):
    consensus = _consensus(annotator, {"s1": SUM, "s2": SUM_CIN, "s3": SUM_WRONG_FROM_4, "s4": SUM_CRASH_FROM_6})
    assert consensus.judge("3\n1 2 3\n").agreed  # where they all agree
    differs = consensus.judge("4\n1 2 3 4\n")
    assert differs.outcome == TrialOutcome.DISAGREEMENT and "s3" in differs.detail and "s2" not in differs.detail
    crashed = consensus.judge("6\n1 2 3 4 5 6\n")
    assert crashed.outcome == TrialOutcome.FAILED and crashed.detail.startswith("s4: RE signal SIGABRT")


def test_an_input_past_an_accepted_programs_array_is_a_failed_input_not_a_harness_fault(annotator):
    """The sample's s933347029 (p90001, `int a[3005]`) fed 6,010 numbers: scanf writes past the
    array over stdio's lock, then waits on that lock forever. The probe finds it blocked (TLE,
    `sandbox.hang`), so the input is `failed` and cached, long before the guard's INFRA."""
    programs = SAMPLE / "Project_CodeNet" / "data" / "p90001" / "C++"
    consensus = _consensus(
        annotator, {sid: (programs / f"{sid}.cpp").read_text() for sid in ("s929265581", "s933347029")}
    )
    overrun = "6010 100\n" + " ".join(str(i % 97) for i in range(6010)) + "\n"
    verdict = consensus.judge(overrun)
    assert verdict.outcome == TrialOutcome.FAILED, verdict
    assert "s933347029: TLE blocked forever: single-threaded and asleep in a futex wait" in verdict.detail
    assert consensus.judge(overrun) == verdict  # cached: a fact about the program, not the harness


def test_candidates_are_screened_by_a_few_programs_and_the_chosen_confirmed_by_all(annotator):
    """Two programs screen; the third (wrong from 4 numbers on) only sees the chosen inputs. A
    chosen input it disagrees on takes that verdict and the sizing chooses again, so every kept
    test is agreed on by all three."""
    tests = pl.DataFrame({"test_id": ["t0"], "input": ["2\n1 2\n"], "input_sha256": [sha256_hex(b"2\n1 2\n")]})
    settings = GeneratedTestsSettings(max_tests=2, screen_programs=2, max_programs=3, max_scale=4096)
    programs = {"s1": SUM, "s2": SUM_CIN, "s3": SUM_WRONG_FROM_4}
    generated = generate_tests("p1", tests, _submissions(programs), settings, annotator, ThreadPoolExecutor(2))
    trials = generated.trials
    assert generated.tests.height >= 1
    assert generated.tests["consensus_size"].to_list() == [3] * generated.tests.height
    assert all(int(text.split()[0]) < 4 for text in generated.tests["input"].to_list())
    confirmed = set(trials.filter(pl.col("n_programs") == 3)["outcome"])  # a re-choice may leave some confirmed
    assert {TrialOutcome.KEPT, TrialOutcome.DISAGREEMENT} <= confirmed
    assert confirmed <= {TrialOutcome.KEPT, TrialOutcome.DISAGREEMENT, TrialOutcome.NOT_SELECTED}
    screened_only = trials.filter((pl.col("outcome") == TrialOutcome.NOT_SELECTED) & (pl.col("n_programs") == 2))
    assert screened_only.height > 0  # the third program never ran on these


def test_too_few_programs_and_too_slow(annotator):
    alone = _consensus(annotator, {"s1": SUM})
    assert alone.judge("1\n5\n").outcome == TrialOutcome.TOO_FEW_PROGRAMS
    slow = _consensus(annotator, {"s1": SUM, "s2": SUM_CIN}, max_native_s=1e-9)
    verdict = slow.judge("1\n5\n")
    assert verdict.outcome == TrialOutcome.TOO_SLOW and "max_native_s" in verdict.detail


def test_a_program_that_does_not_compile_is_left_out(annotator):
    consensus, left_out = Consensus.for_problem(
        annotator,
        _submissions({"s1": SUM, "s2": "int main( {", "s3": SUM_CIN}),
        GeneratedTestsSettings(max_programs=2),
        ThreadPoolExecutor(2),
    )
    assert [p.submission_id for p in consensus.programs] == ["s1", "s3"]
    assert len(left_out) == 1 and left_out[0].startswith("s2: CE")


def test_a_harness_fault_is_infra_never_cached_then_judged(annotator):
    consensus = _consensus(annotator, {"s1": SUM, "s2": SUM_CIN})
    held = os.open(consensus.programs[1].compiled.binary, os.O_WRONLY)  # exec fails: Text file busy
    try:
        verdict = consensus.judge("2\n4 5\n")
    finally:
        os.close(held)
    assert verdict.outcome == TrialOutcome.INFRA and "Text file busy" in verdict.detail, verdict
    runs = sorted(Path(annotator.outcomes.dir).rglob("*.json"))
    assert len(runs) == 1  # the first program's run only: INFRA is never cached
    assert consensus.judge("2\n4 5\n").agreed


def test_extra_candidates_are_judged_like_the_generated_ones(annotator):
    tests = pl.DataFrame(
        {"test_id": ["t0"], "input": ["2\n1 2\n"], "input_sha256": [hashlib.sha256(b"2\n1 2\n").hexdigest()]}
    )
    extra = [
        Candidate("p1", "2\n1 2\n", "model:m", "v1", 0, 1, None),  # an existing test's input
        Candidate("p1", "3\n10 20 30\n", "model:m", "v1", 0, 10, None),
    ]
    settings = GeneratedTestsSettings(mutations_per_test=2, max_scale=4)
    generated = generate_tests(
        "p1", tests, _submissions({"s1": SUM, "s2": SUM_CIN}), settings, annotator, ThreadPoolExecutor(2), extra
    )
    model = generated.trials.filter(pl.col("generator") == "model:m")
    assert model["outcome"].to_list() == [TrialOutcome.DUPLICATE, TrialOutcome.KEPT]
    kept = generated.tests.filter(pl.col("generator") == "model:m")
    assert kept["expected_output"].to_list() == ["60\n"] and kept["parent_test_id"].to_list() == [None]
    assert generated.tests["test_id"].to_list() == [f"generated_{n}" for n in range(generated.tests.height)]
    assert generated.trials.filter(pl.col("outcome") == TrialOutcome.KEPT).height == generated.tests.height


def _materialize(assets, resources, instance, problems, selection) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        tags=partition_range_tags(problems[0], problems[-1]),
        raise_on_error=False,
        selection=selection,
    )


def test_generated_tests_on_the_sample_agree_stress_and_repeat(sample_settings, instance, public_dir):
    settings = replace(sample_settings, cache_dir=str(public_dir / "cache"), test_set="samples+generated")
    defs = build_defs(settings)
    assets, resources = list(defs.assets), dict(defs.resources)
    problems = ["p90002", "p90004"]
    instance.add_dynamic_partitions(PROBLEMS, problems)
    ingest = ["submissions", "test_cases", "ingest_rejects", "problem_statements"]
    assert _materialize(assets, resources, instance, problems, ingest).success
    generated = ["generated_tests", "generated_test_trials"]
    result = _materialize(assets, resources, instance, problems, generated)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    warehouse = Path(settings.warehouse)
    first = {p: (warehouse / "generated_tests" / f"problem_id={p}" / "data.parquet").read_bytes() for p in problems}
    for problem in problems:
        tests = pl.read_parquet(warehouse / "generated_tests" / f"problem_id={problem}" / "data.parquet")
        accepted = pl.read_parquet(warehouse / "submissions" / f"problem_id={problem}" / "data.parquet").filter(
            (pl.col("status") == "Accepted") & (pl.col("language") == "C++")
        )
        assert tests.height >= 5, problem
        assert tests["consensus_size"].to_list() == [accepted.height] * tests.height  # every accepted one agreed
        assert tests["origin"].unique().to_list() == ["generated"]
        assert tests["native_cost_max_s"].max() <= GeneratedTestsSettings().max_native_s
        assert tests["scale"].max() > 1  # the scaling search kept grown inputs
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("generated_tests"), asset_partitions=[problem]), limit=1
        ).records
        metadata = records[0].asset_materialization.metadata
        assert metadata["pie/kept"].value == tests.height
        outcomes = metadata["pie/outcomes"].value
        assert outcomes["kept"] == tests.height and metadata["pie/tried"].value == sum(outcomes.values())
    again = _materialize(assets, resources, instance, problems, generated)
    assert again.success
    for problem in problems:
        assert (warehouse / "generated_tests" / f"problem_id={problem}" / "data.parquet").read_bytes() == first[problem]
