"""A PIE-shaped released dataset written to disk: every field, old and new files, bad lines of each kind."""

from __future__ import annotations

import json
from pathlib import Path

from pie_assets.dataset.pie_format import TEST_FIELDS, TRAIN_FIELDS, parse_record

# Code that a careless writer or reader would change: CRLF, a tab, non-ASCII, U+2028 (a line
# break for str.splitlines, not for JSONL), an emoji, a trailing space.
SLOW = '#include <cstdio>\r\nint main() {\tputs("h\u00e9llo \u2028 \U0001f600"); } \n'
FAST = '#include <bits/stdc++.h>\nint main(){puts("x");}\n'
OLD_FIELDS = TRAIN_FIELDS[:14]  # the first released files: no *_updated fields


def pair(i: int, fields: tuple[str, ...] = TRAIN_FIELDS, **extra) -> dict:
    """A PIE row with every field of `fields`, in PIE's order, then `extra` (unknown fields)."""
    values = {
        "src_id": f"s{i:09d}",
        "tgt_id": f"s{i + 1:09d}",
        "src_agg_runtime": 0.0123 + i,
        "tgt_agg_runtime": 0.0041,
        "problem_id": f"p{i % 3:05d}",
        "user_id": f"u{i:09d}",
        "speedup": 3.0,
        "src_code": SLOW + str(i),
        "tgt_code": FAST,
        "fastest_agg_runtime": 0.004,
        "src_status": "Accepted",
        "tgt_status": "Accepted",
        "target_reward": 0.975609756097561,
        "src_reward": 0.3252032520325203,
        "fastest_agg_runtime_updated": 0.0039,
        "target_reward_updated": 0.95,
        "src_reward_updated": 0.31,
        "target_reward_updated_pct_bin": 9,
        "src_reward_updated_pct_bin": 2,
        "tests": [0, 3, 7],
        "n_tests": 3,
        "fastest_runtime": 0.0039,
        "fastest_accuracy": 1.0,
    }
    return {**{name: values[name] for name in fields}, **extra}


BAD_LINES = [
    ("this is not json", "not JSON"),
    ('["a", "list"]', "not a JSON object: a list"),
    (json.dumps({k: v for k, v in pair(50).items() if k != "src_id"}), "missing required field(s): src_id"),
    (json.dumps({**pair(51), "tgt_code": None}), "missing required field(s): tgt_code"),
    (json.dumps({**pair(52), "speedup": "fast"}), "field 'speedup' must be a number"),
    (
        json.dumps({**pair(53), "target_reward_updated_pct_bin": 2.5}),
        "field 'target_reward_updated_pct_bin' must be a 64-bit integer",
    ),
    (
        json.dumps({**pair(54), "src_reward_updated_pct_bin": True}),
        "field 'src_reward_updated_pct_bin' must be a 64-bit integer",
    ),
    (json.dumps({**pair(55, TEST_FIELDS), "tests": ["0", "1"]}), "field 'tests' must be a list of 64-bit integers"),
    (json.dumps({**pair(56), "src_code": 12}), "field 'src_code' must be a string"),
    (json.dumps({**pair(57), "user_id": "\ud800"}), "field 'user_id' must be a string of Unicode text"),
]


def _line(obj: dict, ascii_only: bool) -> str:
    return json.dumps(obj, ensure_ascii=ascii_only) + "\n"


def write_pie_dataset(directory: Path) -> Path:
    """train (old and updated fields, an unknown field, an integer in a float field), val (with
    bad lines of each kind, a blank line and a line that is not UTF-8), test (tests, n_tests),
    an HQ file, a file naming no split and a hidden file that is not read."""
    directory.mkdir(parents=True)
    train = [
        pair(0, OLD_FIELDS),
        pair(1),
        pair(2, TRAIN_FIELDS, generated=[{"code": "x", "score": 0.5}], note=None),
        {**pair(3), "speedup": 3},
    ]
    (directory / "train.jsonl").write_text("".join(_line(o, i % 2 == 0) for i, o in enumerate(train)), encoding="utf-8")
    with open(directory / "val.jsonl", "wb") as f:
        f.write(_line(pair(10), False).encode())
        for text, _ in BAD_LINES:
            f.write(text.encode() + b"\n")
        f.write(b"   \n")
        f.write(b'{"src_id": "s\xff"}\n')
        f.write(_line(pair(11, OLD_FIELDS), True).encode().replace(b"\n", b"\r\n"))  # a CRLF line
    (directory / "test.jsonl").write_text(
        "".join(_line(pair(i, TEST_FIELDS), False) for i in (20, 21)), encoding="utf-8"
    )
    (directory / "train_hq_only.jsonl").write_text(_line(pair(1), False), encoding="utf-8")
    (directory / "more").mkdir()
    (directory / "more" / "pairs.jsonl").write_text(_line(pair(30, OLD_FIELDS), True), encoding="utf-8")
    (directory / ".cache").mkdir()
    (directory / ".cache" / "train.jsonl").write_text("garbage\n")
    return directory


def good_records(path: Path) -> list[dict]:
    """The lines of a file that are PIE pairs, parsed with the json module alone."""
    records = []
    for raw in path.read_bytes().split(b"\n"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text.strip():
            obj, reason = parse_record(text)
            if reason is None:
                records.append(json.loads(text))
    return records
