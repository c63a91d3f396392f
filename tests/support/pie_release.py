"""A tiny PIE release on disk, in PIE's own file shapes: `test.jsonl` rows with PIE's released
field names and real C++ programs, and `merged_test_cases/<problem>/input.N.txt` + `output.N.txt`,
where each problem also has a merged test that no row lists and that no program passes (its
expected output is wrong): run once, it would fail every program."""

from __future__ import annotations

import json
from pathlib import Path

from pie_assets.dataset.pie_format import TEST_FIELDS

SUM_LOOP = """#include <cstdio>
int main() { long long n, s = 0; std::scanf("%lld", &n); for (long long i = 1; i <= n; ++i) s += i;
  std::printf("%lld\\n", s); }
"""
SUM_NESTED = """#include <iostream>
int main() { long long n, s = 0; std::cin >> n;
  for (long long i = 1; i <= n; ++i) for (long long j = 0; j < i; ++j) s += 1;
  std::cout << s << std::endl; }
"""
SUM_FORMULA = """#include <cstdio>
int main() { long long n; std::scanf("%lld", &n); std::printf("%lld\\n", n * (n + 1) / 2); }
"""
COUNT_ENDL = """#include <iostream>
int main() { int k; std::cin >> k; for (int i = 1; i <= k; ++i) std::cout << i << std::endl; }
"""
COUNT_BUFFERED = """#include <cstdio>
int main() { int k; std::scanf("%d", &k); for (int i = 1; i <= k; ++i) std::printf("%d\\n", i); }
"""

# problem -> its pairs (src_id, tgt_id, user, src, tgt, tests listed, PIE's src and tgt agg runtimes
# in seconds, as gem5 would give them) and its merged tests.
PAIRS = {
    "p00001": [
        ("s000000001", "s000000002", "u000000001", SUM_LOOP, SUM_FORMULA, [0, 1], 0.0031, 0.0020),
        ("s000000003", "s000000004", "u000000002", SUM_NESTED, SUM_FORMULA, [0, 2], 0.0350, 0.0021),
    ],
    "p00002": [("s000000011", "s000000012", "u000000003", COUNT_ENDL, COUNT_BUFFERED, [0, 1], 0.0042, 0.0023)],
}
TESTS = {
    "p00001": {
        0: ("10\n", "55\n"),
        1: ("3000\n", "4501500\n"),
        2: ("2000\n", "2001000\n"),
        3: ("7\n", "not the answer\n"),
    },  # 3: listed by no row
    "p00002": {
        0: ("3\n", "1\n2\n3\n"),
        1: ("300\n", "".join(f"{i}\n" for i in range(1, 301))),
        5: ("2\n", "9\n9\n"),
    },  # 5: listed by no row
}
UNLISTED = {"p00001": 3, "p00002": 5}


def pie_row(
    problem_id: str,
    src_id: str,
    tgt_id: str,
    user_id: str,
    src: str,
    tgt: str,
    tests: list[int],
    src_runtime: float,
    tgt_runtime: float,
) -> dict:
    """A test.jsonl row with every field PIE's test files have, in PIE's order."""
    values = {
        "src_id": src_id,
        "tgt_id": tgt_id,
        "src_agg_runtime": src_runtime,
        "tgt_agg_runtime": tgt_runtime,
        "problem_id": problem_id,
        "user_id": user_id,
        "speedup": src_runtime / tgt_runtime,
        "src_code": src,
        "tgt_code": tgt,
        "fastest_agg_runtime": 0.0011,
        "src_status": "Accepted",
        "tgt_status": "Accepted",
        "target_reward": 0.92,
        "src_reward": 0.35,
        "fastest_agg_runtime_updated": 0.0011,
        "target_reward_updated": 0.92,
        "src_reward_updated": 0.35,
        "target_reward_updated_pct_bin": 9,
        "src_reward_updated_pct_bin": 3,
        "tests": tests,
        "n_tests": len(tests),
        "fastest_runtime": 0.0011,
        "fastest_accuracy": 1.0,
    }
    return {name: values[name] for name in TEST_FIELDS}


def write_pie_release(root: Path) -> tuple[Path, Path]:
    """(the dataset directory holding test.jsonl, the merged_test_cases directory)."""
    dataset, merged = root / "pie", root / "merged_test_cases"
    dataset.mkdir(parents=True)
    rows = [pie_row(problem, *pair) for problem, pairs in PAIRS.items() for pair in pairs]
    (dataset / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for problem, tests in TESTS.items():
        directory = merged / problem
        directory.mkdir(parents=True)
        for n, (given, expected) in tests.items():
            (directory / f"input.{n}.txt").write_text(given)
            (directory / f"output.{n}.txt").write_text(expected)
    return dataset, merged
