"""The runtime test set: which tests a label sums over, chosen in the simulator config or per command."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pie_assets.cli import build_parser
from pie_assets.codenet.test_cases import TEST_CASE_SCHEMA, with_runtime_test_ids
from pie_assets.codenet.text import sha256_hex
from pie_assets.dataset.export_rows import pie_test_indices, runtime_test_rows
from pie_assets.runtime.annotate import runtime_cases
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.runtime.test_sets import TEST_SETS, select_tests
from pie_assets.settings import Settings
from pie_assets.testgen.candidates import GENERATED_TEST_SCHEMA


def _row(test_id: str, origin: str, text: str) -> dict[str, str]:
    return {
        "problem_id": "p1",
        "test_id": test_id,
        "origin": origin,
        "input": text,
        "expected_output": "out\n",
        "input_sha256": sha256_hex(text.encode()),
        "source_path": "x",
    }


def _test_cases(*rows: dict[str, str], listed: set[int] | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(list(rows), schema={k: v for k, v in TEST_CASE_SCHEMA.items() if k != "runtime_test_id"})
    return with_runtime_test_ids(frame, listed)


def _generated(*texts: str) -> pl.DataFrame:
    rows = [
        {**_row(f"generated_{i}", "generated", text), "runtime_test_id": f"generated_{i}", "generator": "mutate"}
        for i, text in enumerate(texts)
    ]
    return pl.DataFrame(rows, schema=GENERATED_TEST_SCHEMA)


SAMPLES = (_row("html_sample_1", "html_sample", "1\n"), _row("codenet_derived_0", "codenet_derived", "1\n"))
SAMPLES_2 = (*SAMPLES, _row("html_sample_2", "html_sample", "2\n"))
PIE_ROWS = (_row("extra_dir_0", "extra_dir", "1\n"), _row("extra_dir_1", "extra_dir", "9\n"))


def _ids(name: str, tests: pl.DataFrame, generated: pl.DataFrame | None = None) -> tuple[str, list[str]]:
    selection = select_tests(name, tests, generated)
    return selection.name, sorted(case.test_id for case in runtime_cases(selection.tests))


def test_each_set_sums_over_its_origins_one_case_per_input():
    tests, generated = _test_cases(*SAMPLES_2, *PIE_ROWS), _generated("100\n", "200\n")
    assert _ids("pie", tests, generated) == ("pie", ["extra_dir_0", "extra_dir_1"])
    # The page's first sample is CodeNet's derived input too: one case, the derived row stands for it.
    assert _ids("samples", tests, generated) == ("samples", ["codenet_derived_0", "html_sample_2"])
    assert _ids("generated", tests, generated) == ("generated", ["generated_0", "generated_1"])
    assert _ids("samples+generated", tests, generated) == (
        "samples+generated",
        ["codenet_derived_0", "generated_0", "generated_1", "html_sample_2"],
    )
    members = {c.test_id: c.input_test_ids for c in runtime_cases(select_tests("samples", tests).tests)}
    assert members["codenet_derived_0"] == ("codenet_derived_0", "html_sample_1")  # within the set only


def test_auto_is_pie_where_the_problem_has_pie_tests_else_samples_and_generated():
    generated = _generated("100\n")
    assert _ids("auto", _test_cases(*SAMPLES_2, *PIE_ROWS), generated) == ("pie", ["extra_dir_0", "extra_dir_1"])
    assert _ids("auto", _test_cases(*SAMPLES_2), generated) == (
        "samples+generated",
        ["codenet_derived_0", "generated_0", "html_sample_2"],
    )


def test_a_problem_without_generated_tests_has_none_and_an_empty_set_is_no_error():
    tests = _test_cases(*SAMPLES_2)
    assert _ids("samples+generated", tests, None) == ("samples+generated", ["codenet_derived_0", "html_sample_2"])
    assert _ids("generated", tests, _generated()) == ("generated", [])
    assert _ids("pie", tests) == ("pie", [])


def test_pies_tests_list_restricts_pies_files_not_the_samples():
    """tests.json / PIE's `tests` field: only listed extra tests are run; the samples are not PIE's."""
    tests = _test_cases(*SAMPLES_2, *PIE_ROWS, listed={1})
    assert _ids("pie", tests) == ("pie", ["extra_dir_1"])
    assert _ids("auto", tests)[0] == "pie"
    assert _ids("samples", tests) == ("samples", ["codenet_derived_0", "html_sample_2"])
    # Listed indices without files: the problem has none of PIE's tests to run, so auto falls back.
    assert _ids("auto", _test_cases(*SAMPLES_2, *PIE_ROWS, listed={7}))[0] == "samples+generated"


def test_a_generated_input_equal_to_a_sample_is_counted_once_as_the_sample():
    assert _ids("samples+generated", _test_cases(*SAMPLES_2), _generated("2\n")) == (
        "samples+generated",
        ["codenet_derived_0", "html_sample_2"],
    )


def test_unknown_set_names_the_choices():
    with pytest.raises(ValueError, match="unknown runtime test set 'all'; choose one of auto, pie, samples"):
        select_tests("all", _test_cases(*SAMPLES))


def test_runtime_set_is_in_the_config_hash_not_in_the_outcome_key(tmp_path, monkeypatch):
    """A change of set re-simulates (a new config hash), yet every cached (binary, test) outcome
    still serves: the outcome key is the config less the set."""
    monkeypatch.delenv("PIE_TEST_SET", raising=False)
    default = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    assert default.test_set == "auto"
    hashes = {name: SimulatorConfig.load(DEFAULT_CONFIG_PATH, test_set=name) for name in TEST_SETS}
    assert hashes["auto"].hash == default.hash
    assert len({c.hash for c in hashes.values()}) == len(TEST_SETS)
    assert {c.outcome_hash for c in hashes.values()} == {default.outcome_hash}
    own = tmp_path / "simulator.toml"
    own.write_text(DEFAULT_CONFIG_PATH.read_text().replace('runtime_set = "auto"', 'runtime_set = "samples"'))
    assert SimulatorConfig.load(own).test_set == "samples" and SimulatorConfig.load(own).hash == hashes["samples"].hash
    monkeypatch.setenv("PIE_TEST_SET", "generated")
    assert SimulatorConfig.load(own).test_set == "generated"  # the variable wins over the file
    assert SimulatorConfig.load(own, test_set="pie").test_set == "pie"  # --test-set wins over both
    monkeypatch.setenv("PIE_TEST_SET", "everything")
    with pytest.raises(ValueError, match=r"\[tests\] runtime_set: unknown runtime test set 'everything'; choose"):
        SimulatorConfig.load(own)
    own.write_text(DEFAULT_CONFIG_PATH.read_text().replace('runtime_set = "auto"', 'runtime_set = "tiny"'))
    monkeypatch.delenv("PIE_TEST_SET")
    with pytest.raises(ValueError, match="unknown runtime test set 'tiny'; choose one of auto, pie, samples"):
        SimulatorConfig.load(own)


@pytest.mark.parametrize("command", ["run", "eval", "ui"])
def test_test_set_flag_reaches_the_settings_and_pie_uis_processes(command, capsys):
    argv = [command, "--test-set", "samples+generated", *(["--model", "identity"] if command == "eval" else [])]
    args = build_parser().parse_args(argv)
    settings = Settings.resolve(test_set=args.test_set)
    assert settings.test_set == "samples+generated"
    assert settings.environment()["PIE_TEST_SET"] == "samples+generated"
    assert "PIE_TEST_SET" not in Settings.resolve().environment()
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--test-set", "all"])
    err = capsys.readouterr().err
    assert "--test-set: invalid choice: 'all'" in err and "'samples+generated'" in err


def test_the_exported_tests_are_the_set_the_labels_sum_over():
    """pie_export's `tests`: PIE's indices of the problem's tests of its recorded set, generated
    tests numbered after the samples; a problem labelled before test sets keeps test_cases' ids."""
    test_cases = pl.concat(
        [_test_cases(*SAMPLES_2, *PIE_ROWS), _test_cases(*SAMPLES_2).with_columns(problem_id=pl.lit("p2"))]
    )
    test_cases = pl.concat([test_cases, _test_cases(*SAMPLES_2).with_columns(problem_id=pl.lit("p3"))])
    generated = pl.concat([_generated("100\n"), _generated("100\n", "200\n").with_columns(problem_id=pl.lit("p2"))])
    runtimes = pl.DataFrame({"problem_id": ["p1", "p2", "p3"], "test_set": ["pie", "samples+generated", None]})
    con = duckdb.connect()
    for name, frame in (("test_cases", test_cases), ("generated_tests", generated), ("submission_runtimes", runtimes)):
        con.register(f"{name}_frame", frame)
        con.execute(f"create view {name} as select * from {name}_frame")
    indices = {r["problem_id"]: r["tests"] for r in pie_test_indices(runtime_test_rows(con)).iter_rows(named=True)}
    # p1: PIE's files 0 and 1; p2: the derived test, sample 2, then its two generated tests; p3: as ingested.
    assert indices == {"p1": [0, 1], "p2": [0, 1, 2, 3], "p3": [0, 1]}
