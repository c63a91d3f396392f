"""Prompt strategies: exact texts, versions stable across processes
(tests/integration/test_prompt_examples.py compiles and runs the fixed examples)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pie_assets.evaluation.examples import Example
from pie_assets.evaluation.prompts import FIXED_EXAMPLES, STRATEGIES, prompt_hash, strategy

HEAD = "int main() {\n    long long total = 0, m = 1000003;\n    int i = 0, j = 1;\n"
LINE = "    total = (total * 31 + i) % m;\n"
LONG_PROGRAM = HEAD + LINE * 60 + "}\n"


def test_perf_conditioned_is_pies_template_with_the_program_cut_at_1500_chars():
    assert (len(HEAD), len(LINE), len(LONG_PROGRAM)) == (73, 34, 2115)
    # 73 + 41 * 34 = 1467 characters, then 33 more: the 42nd line without its newline.
    expected = (
        "This is a slow program we want to optimize 10/10. ### Program:\n"
        + HEAD
        + LINE * 41
        + "    total = (total * 31 + i) % m;"
        + "\n\n### Optimized Version with score 10/10:\n"
    )
    assert strategy("perf_conditioned").build(LONG_PROGRAM) == expected
    assert strategy("perf_conditioned").build("int main() {}") == (
        "This is a slow program we want to optimize 10/10. ### Program:\nint main() {}\n\n"
        "### Optimized Version with score 10/10:\n"
    )


def test_retrieval_renders_the_examples_in_the_order_given_joined_by_blank_lines():
    far = Example("s1", "t1", "p1", "int main() { far(); }", "int main() { far_fast(); }", 2.0)
    near = Example("s2", "t2", "p1", "int main() { near(); }", "int main() { near_fast(); }", 3.0)
    instruction = (
        "Optimize the following C++ program for speed. Keep its behaviour exactly: for every input it must print the "
        "same output as the original. Use a faster algorithm or data structure, faster input/output and less copying "
        "where they help.\nAnswer with the complete optimized program, ready to compile with g++ -std=c++17 -O3, in "
        "one ```cpp code block.\n"
    )
    expected = (
        instruction
        + """
### Slow program:
```cpp
int main() { far(); }
```

### Optimized program:
```cpp
int main() { far_fast(); }
```

### Slow program:
```cpp
int main() { near(); }
```

### Optimized program:
```cpp
int main() { near_fast(); }
```

### Slow program:
```cpp
int main() { query(); }
```

### Optimized program:
"""
    )
    assert strategy("retrieval").build("int main() { query(); }", [far, near]) == expected
    swapped = strategy("retrieval").build("int main() { query(); }", [near, far])
    assert swapped.index("far_fast") > swapped.index("near_fast")


def test_instruction_and_cot_texts():
    assert strategy("instruction").build("int main() {}") == (
        "Optimize the following C++ program for speed. Keep its behaviour exactly: for every input it must "
        "print the same output as the original. Use a faster algorithm or data structure, faster input/output "
        "and less copying where they help.\n"
        "Answer with the complete optimized program, ready to compile with g++ -std=c++17 -O3, in one ```cpp "
        "code block.\n\n### Slow program:\n```cpp\nint main() {}\n```\n\n### Optimized program:\n"
    )
    cot = strategy("cot").build("int main() {}")
    assert "First explain briefly what makes the program slow" in cot
    assert cot.endswith("### Slow program:\n```cpp\nint main() {}\n```\n\n### Analysis:\n")


def test_few_shot_shows_the_two_fixed_examples_then_the_query():
    prompt = strategy("few_shot").build("int main() { query(); }")
    positions = [prompt.index(code) for e in FIXED_EXAMPLES for code in (e.src_code, e.tgt_code)]
    assert positions == sorted(positions)
    assert prompt.index("query()") > positions[-1]
    assert prompt == strategy("retrieval").build("int main() { query(); }", FIXED_EXAMPLES)


def test_every_prompt_holds_the_query_verbatim():
    examples = FIXED_EXAMPLES[:1]
    for name, s in STRATEGIES.items():
        prompt = s.build(LONG_PROGRAM, examples if s.needs_examples else ())
        if name == "perf_conditioned":
            assert LONG_PROGRAM[:1500] in prompt and LONG_PROGRAM not in prompt
        else:
            assert LONG_PROGRAM in prompt, name
    assert [n for n, s in STRATEGIES.items() if s.needs_examples] == ["retrieval"]


def test_examples_are_refused_where_a_strategy_takes_none():
    with pytest.raises(ValueError, match="'instruction' takes no examples"):
        strategy("instruction").build("int main() {}", FIXED_EXAMPLES)


def test_versions_are_stable_across_processes_and_distinct():
    here = {name: s.version for name, s in STRATEGIES.items()}
    assert list(here) == ["instruction", "few_shot", "cot", "retrieval", "perf_conditioned"]
    assert len(set(here.values())) == len(here)
    script = (
        "import json; from pie_assets.evaluation.prompts import STRATEGIES; "
        "print(json.dumps({n: s.version for n, s in STRATEGIES.items()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "7"},
    ).stdout
    assert json.loads(out) == here


def test_unknown_strategy_names_the_known_ones():
    with pytest.raises(KeyError, match="'nope'; known: instruction, few_shot, cot, retrieval, perf_conditioned"):
        strategy("nope")


def test_prompt_hash():
    assert prompt_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert prompt_hash("é") != prompt_hash("e\u0301")  # bytes, not normalised text
