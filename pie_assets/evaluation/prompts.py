"""Named, versioned prompt strategies for evaluating a model on a slow program.

- instruction: the task and the answer format only.
- few_shot: two fixed slow → fast examples that ship with the code (`FIXED_EXAMPLES`), then the query.
- cot: chain of thought: name the bottlenecks and the plan first, then the program.
- retrieval: PIE's dynamic retrieval few-shot: the K nearest training pairs the caller passes
  (`RetrievalIndex.search`, most similar last), joined with blank lines in the order given,
  then the query. K (PIE: 4) is the caller's setting.
- perf_conditioned: PIE's performance-conditioned template asking for tier 10/10
  (`pie_format.performance_prompt`).

Only perf_conditioned cuts the program (to `PROMPT_SRC_CHARS`, PIE's rule for that template);
the others show every program whole, because a cut program cannot be optimised into a complete
one. A strategy's `version` hashes its template text and parameters (the fixed examples too),
so it changes exactly when the prompts it builds could change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pie_assets.dataset.pie_format import PROMPT_SRC_CHARS, PROMPT_TEMPLATE, TOP_TIER, performance_prompt
from pie_assets.evaluation.examples import Example
from pie_assets.versions import config_hash


@dataclass(frozen=True)
class PromptStrategy:
    name: str
    description: str
    needs_examples: bool
    version: str
    render: Callable[[str, Sequence[Example]], str] = field(repr=False, compare=False)

    def build(self, src_code: str, examples: Sequence[Example] = ()) -> str:
        if examples and not self.needs_examples:
            raise ValueError(f"prompt strategy {self.name!r} takes no examples, got {len(examples)}")
        return self.render(src_code, examples)


def fenced(code: str) -> str:
    """The answer shape every strategy asks for (`_ANSWER`): the program in one ```cpp block, as
    `extract.extract_program` reads it back; training answers take this shape too."""
    return "```cpp\n" + code + ("" if code.endswith("\n") else "\n") + "```"


def prompt_hash(prompt: str) -> str:
    """The `prompts` table's prompt_hash."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


_TASK = (
    "Optimize the following C++ program for speed. Keep its behaviour exactly: for every input "
    "it must print the same output as the original. Use a faster algorithm or data structure, "
    "faster input/output and less copying where they help."
)
_ANSWER = (
    "Answer with the complete optimized program, ready to compile with g++ -std=c++17 -O3, in one ```cpp code block."
)
_COT_ANSWER = (
    "First explain briefly what makes the program slow and how you will speed it up. "
    "Then give the complete optimized program, ready to compile with g++ -std=c++17 -O3, "
    "in one ```cpp code block."
)
_SLOW = "### Slow program:\n```cpp\n{code}\n```"
_FAST = "### Optimized program:\n```cpp\n{code}\n```"
_QUERY_END = "### Optimized program:\n"
_COT_END = "### Analysis:\n"


def _example(example: Example) -> str:
    return _SLOW.format(code=example.src_code) + "\n\n" + _FAST.format(code=example.tgt_code)


def _prompt(header: str, examples: Sequence[Example], src_code: str, end: str) -> str:
    blocks = [header, *(_example(e) for e in examples), _SLOW.format(code=src_code), end]
    return "\n\n".join(blocks)


_SLOW_IO = """#include <iostream>
using namespace std;

int main() {
    int n;
    cin >> n;
    for (int i = 0; i < n; i++) {
        long long a;
        cin >> a;
        cout << a * a << endl;
    }
    return 0;
}"""
_FAST_IO = """#include <iostream>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n;
    cin >> n;
    for (int i = 0; i < n; i++) {
        long long a;
        cin >> a;
        cout << a * a << '\\n';
    }
    return 0;
}"""
_SLOW_RANGE_SUMS = """#include <bits/stdc++.h>
using namespace std;

int main() {
    int n, q;
    cin >> n >> q;
    vector<long long> a(n);
    for (auto &x : a) cin >> x;
    while (q--) {
        int l, r;
        cin >> l >> r;
        long long s = 0;
        for (int i = l - 1; i < r; i++) s += a[i];
        cout << s << "\\n";
    }
    return 0;
}"""
_FAST_RANGE_SUMS = """#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n, q;
    cin >> n >> q;
    vector<long long> prefix(n + 1, 0);
    for (int i = 0; i < n; i++) {
        long long x;
        cin >> x;
        prefix[i + 1] = prefix[i] + x;
    }
    while (q--) {
        int l, r;
        cin >> l >> r;
        cout << prefix[r] - prefix[l - 1] << '\\n';
    }
    return 0;
}"""

# Hand-written, not from the dataset: their speedups were never measured (NaN).
FIXED_EXAMPLES: tuple[Example, ...] = (
    Example(
        src_id="fixed-io-slow",
        tgt_id="fixed-io-fast",
        problem_id="fixed-squares",
        src_code=_SLOW_IO,
        tgt_code=_FAST_IO,
        speedup=float("nan"),
    ),
    Example(
        src_id="fixed-range-sums-slow",
        tgt_id="fixed-range-sums-fast",
        problem_id="fixed-range-sums",
        src_code=_SLOW_RANGE_SUMS,
        tgt_code=_FAST_RANGE_SUMS,
        speedup=float("nan"),
    ),
)


def _strategy(
    name: str,
    description: str,
    needs_examples: bool,
    parameters: dict[str, Any],
    render: Callable[[str, Sequence[Example]], str],
) -> PromptStrategy:
    return PromptStrategy(name, description, needs_examples, config_hash(parameters), render)


_INSTRUCTION = f"{_TASK}\n{_ANSWER}"
_COT = f"{_TASK}\n{_COT_ANSWER}"
_LAYOUT = {"slow": _SLOW, "fast": _FAST, "join": "\n\n"}
_FIXED = [[e.src_code, e.tgt_code] for e in FIXED_EXAMPLES]

STRATEGIES: dict[str, PromptStrategy] = {
    s.name: s
    for s in (
        _strategy(
            "instruction",
            "the task and the answer format, no examples",
            False,
            {"header": _INSTRUCTION, "end": _QUERY_END, **_LAYOUT},
            lambda src, _: _prompt(_INSTRUCTION, (), src, _QUERY_END),
        ),
        _strategy(
            "few_shot",
            "two fixed slow -> fast examples shipped with the code, then the query",
            False,
            {"header": _INSTRUCTION, "end": _QUERY_END, "examples": _FIXED, **_LAYOUT},
            lambda src, _: _prompt(_INSTRUCTION, FIXED_EXAMPLES, src, _QUERY_END),
        ),
        _strategy(
            "cot",
            "chain of thought: the bottlenecks and the plan first, then the program",
            False,
            {"header": _COT, "end": _COT_END, **_LAYOUT},
            lambda src, _: _prompt(_COT, (), src, _COT_END),
        ),
        _strategy(
            "retrieval",
            "PIE's retrieval few-shot: the K nearest training pairs, most similar last",
            True,
            {"header": _INSTRUCTION, "end": _QUERY_END, "examples": "retrieved", **_LAYOUT},
            lambda src, examples: _prompt(_INSTRUCTION, examples, src, _QUERY_END),
        ),
        _strategy(
            "perf_conditioned",
            "PIE's performance-conditioned template, asking for tier 10/10",
            False,
            {"template": PROMPT_TEMPLATE, "tier": TOP_TIER, "src_chars": PROMPT_SRC_CHARS},
            lambda src, _: performance_prompt(src, TOP_TIER),
        ),
    )
}


def strategy_name(name: str) -> str:
    """The one spelling of a strategy name: `perf-conditioned` is `perf_conditioned`, wherever a
    user writes it (the CLI, the evaluation config, a models file, a run's config)."""
    return name.strip().replace("-", "_")


def strategy(name: str) -> PromptStrategy:
    try:
        return STRATEGIES[strategy_name(name)]
    except KeyError:
        raise KeyError(f"unknown prompt strategy {name!r}; known: {', '.join(STRATEGIES)}") from None


def strategy_names(names: Sequence[str], where: str) -> tuple[str, ...]:
    """`names` in their one spelling, each once; an unknown one is a ValueError naming `where`
    (the file or setting that holds it) and the known ones."""
    try:
        return tuple(dict.fromkeys(strategy(name).name for name in names))
    except KeyError as err:
        raise ValueError(f"{where}: {err.args[0]}") from None
