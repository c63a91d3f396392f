"""PIE's judge, as in its evaluation harness (`get_accuracy`): strip the whole output and the
expected output, compare line by line in order; a line matches when it is equal, or when both
parse as floats closer than the tolerance (strictly); accuracy = matched / expected lines.
Extra output lines are not counted; missing ones do not match.

Where this project chose differently from PIE (pinned by tests/unit/test_judge_and_config.py):

* Empty expected output (nothing but whitespace). PIE: accuracy 0 whatever the program prints
  (no expected line to divide by), so no program could ever pass such a test. Here: 1.0 when
  the output is empty too (after the same strip), else 0.0: printing nothing is then the answer.
* Output bytes that are not UTF-8. PIE: the decode fails and the test scores 0. Here the caller
  decodes with replacement characters (`bytes.decode("utf-8", "replace")`) and judges the text:
  a line holding such bytes matches no expected line, the other lines still count. The verdict
  is the same (below 1.0 is WA) except that undecodable bytes only in extra lines past the
  expected ones are ignored like any extra line: the judge looks only at the lines it compares.
"""

from __future__ import annotations


def _line_matches(got: str, want: str, tolerance: float) -> bool:
    if got == want:
        return True
    try:
        return abs(float(got) - float(want)) < tolerance
    except ValueError:
        return False


def accuracy(output: str, expected: str, tolerance: float = 1e-3) -> float:
    got_lines = output.strip().splitlines()
    want_lines = expected.strip().splitlines()
    if not want_lines:
        return 1.0 if not got_lines else 0.0
    # Not strict: past the shorter side nothing matches; the score is over the expected lines.
    matched = sum(_line_matches(got, want, tolerance) for got, want in zip(got_lines, want_lines, strict=False))
    return matched / len(want_lines)
