"""The runtime test set: which of a problem's tests a program's agg cost sums over.

A runtime label is only as good as the tests it sums over, so the set is a recorded choice
(`[tests] runtime_set` of the simulator config, `--test-set`), by the tests' origin:

- `pie`: PIE's tests (origin `extra_dir`), within PIE's tests list when there is one;
- `samples`: the problem page's samples and CodeNet's derived test (`html_sample`, `codenet_derived`);
- `generated`: the `generated_tests` (origin `generated`, validated by consensus);
- `samples+generated`: both;
- `auto` (the default): `pie` where the problem has some of PIE's tests (PIE parity), else
  `samples+generated`. It is resolved per problem, and the resolved name is what every runtime row
  records (`test_set`).

Within the set, the same input counted twice is still a defect: one case per distinct input, the
representative chosen as `codenet.test_cases.with_runtime_test_ids` chooses it (PIE's files first,
then CodeNet's derived test, the page's samples, a generated test last).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pie_assets.codenet.test_cases import TEST_CASE_SCHEMA, with_runtime_test_ids

AUTO = "auto"
PIE = "pie"
SAMPLES_AND_GENERATED = "samples+generated"
# A set's name -> the test_cases origins it sums over.
ORIGINS: dict[str, frozenset[str]] = {
    PIE: frozenset({"extra_dir"}),
    "samples": frozenset({"html_sample", "codenet_derived"}),
    "generated": frozenset({"generated"}),
    SAMPLES_AND_GENERATED: frozenset({"html_sample", "codenet_derived", "generated"}),
}
TEST_SETS = (AUTO, *ORIGINS)  # the choices of [tests] runtime_set and --test-set
DEFAULT_TEST_SET = AUTO


def check_test_set(name: str, where: str) -> str:
    """`name`, or a ValueError naming `where` it came from and the choices."""
    if name not in TEST_SETS:
        raise ValueError(f"{where}: unknown runtime test set {name!r}; choose one of {', '.join(TEST_SETS)}")
    return name


@dataclass(frozen=True)
class TestSelection:
    """A problem's tests of one set: `name` resolved (never `auto`), `tests` the chosen rows with
    their `runtime_test_id` within the set (what `annotate.runtime_cases` turns into cases)."""

    name: str
    tests: pl.DataFrame


def _eligible() -> pl.Expr:
    """A row can be run: PIE's rows only within PIE's tests list (test_cases gave them a
    runtime_test_id); the others always (the list restricts PIE's files, not the samples)."""
    return (pl.col("origin") != "extra_dir") | pl.col("runtime_test_id").is_not_null()


def has_pie_tests(tests: pl.DataFrame) -> bool:
    """Whether the problem has some of PIE's tests to run (what `auto` decides on)."""
    return not tests.filter((pl.col("origin") == "extra_dir") & _eligible()).is_empty()


def resolve(name: str, tests: pl.DataFrame) -> str:
    """`auto` resolved for a problem with these test_cases; another name as it is."""
    check_test_set(name, "runtime test set")
    if name != AUTO:
        return name
    return PIE if has_pie_tests(tests) else SAMPLES_AND_GENERATED


def select_tests(name: str, tests: pl.DataFrame, generated: pl.DataFrame | None = None) -> TestSelection:
    """The problem's tests of set `name`: its `test_cases` rows and its `generated_tests` rows
    (None or empty: the problem has none, which is not an error) of the set's origins, one
    representative per distinct input."""
    known = _with_ids(tests)
    resolved = resolve(name, known)
    columns = [column for column in TEST_CASE_SCHEMA if column in known.columns]  # a caller's rows may have fewer
    frames = [known.select(columns)]
    if generated is not None and not generated.is_empty():
        frames.append(generated.select(columns))
    rows = pl.concat(frames, how="vertical_relaxed")
    chosen = rows.filter(pl.col("origin").is_in(ORIGINS[resolved]) & _eligible())
    return TestSelection(resolved, with_runtime_test_ids(chosen.drop("runtime_test_id")))


def _with_ids(tests: pl.DataFrame) -> pl.DataFrame:
    """test_cases rows as the lake holds them (with runtime_test_id); a frame without the column
    (a caller's own rows) gets the ingestion's ids, so PIE's list is respected either way."""
    return tests if "runtime_test_id" in tests.columns else with_runtime_test_ids(tests)
