"""PIE's judge, as in its evaluation harness (`get_accuracy`): strip the whole output and the
expected output, compare line by line in order; a line matches when it is equal, or when both
parse as floats closer than the tolerance (strictly); accuracy = matched / expected lines.
Extra output lines are not counted; missing ones do not match. Empty expected output matches
only empty output."""

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
    matched = sum(_line_matches(got, want, tolerance) for got, want in zip(got_lines, want_lines))
    return matched / len(want_lines)
