"""The few-shot strategy's fixed examples compiled with the real g++ and run: slow and fast agree."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pie_assets.evaluation.prompts import FIXED_EXAMPLES


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
@pytest.mark.parametrize(
    ("example", "stdin"),
    [
        (FIXED_EXAMPLES[0], "4\n3 -5 1000000000 0\n"),
        (FIXED_EXAMPLES[1], "5 3\n1 2 3 4 5\n1 5\n2 4\n3 3\n"),
    ],
)
def test_fixed_examples_compile_and_agree(example, stdin, tmp_path):
    outputs = []
    for which, code in (("slow", example.src_code), ("fast", example.tgt_code)):
        (tmp_path / f"{which}.cpp").write_text(code)
        subprocess.run(
            ["g++", "-std=c++17", "-O1", "-o", str(tmp_path / which), str(tmp_path / f"{which}.cpp")], check=True
        )
        outputs.append(
            subprocess.run([str(tmp_path / which)], input=stdin, capture_output=True, text=True, check=True).stdout
        )
    assert outputs[0] == outputs[1]
    assert (
        outputs[0]
        == {"fixed-io-slow": "9\n25\n1000000000000000000\n0\n", "fixed-range-sums-slow": "15\n9\n3\n"}[example.src_id]
    )
