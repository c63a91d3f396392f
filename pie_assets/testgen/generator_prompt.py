"""The prompt that asks a model for a test-input generator program, and the program in its answer.

Versioned by its text: `TEMPLATE_VERSION` is the digest of the template (what the asset's code
version names), and each problem's prompt has its own digest, which goes into
every model-written candidate's generator_version, so an edited template or statement is a new
generator. The contract the program is asked to meet is the one `model_source` runs it under:
`prog SCALE SEED`, one input on stdout, nothing read, deterministic given both arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

from pie_assets.evaluation.extract import extract_program
from pie_assets.versions import digest

MAX_SAMPLES = 3  # sample inputs shown at most: the format is clear from the first few
MAX_SAMPLE_CHARS = 2000  # a longer sample is cut (the model needs its format, not its bulk)
NO_STATEMENT = "(no statement in the lake: the sample inputs show the input format)"

TASK = """\
Below is a competitive programming problem and its sample inputs. Write a C++ program that \
GENERATES test inputs for this problem, to measure how fast solutions are.

The generator must:
- take two command-line arguments: a scale S (argv[1], a positive integer) and a seed (argv[2], an integer);
- print exactly ONE valid input for the problem to stdout, in the format of the sample inputs and \
within every constraint of the statement;
- make the input about S times larger than the smallest valid one (about S items, or values about \
S times larger where the input is only numbers), never beyond the problem's limits;
- be deterministic: the same S and seed always print the same input (seed a std::mt19937_64 with \
the seed; never use the time, std::random_device or addresses);
- read nothing, write no files, open no network connections, and finish in well under a second."""

ANSWER = (
    "Answer with the complete generator program, ready to compile with g++ -std=c++17 -O3, in one ```cpp code block."
)

TEMPLATE = f"{TASK}\n\n### Problem:\n{{statement}}\n\n{{samples}}\n\n{ANSWER}"
TEMPLATE_VERSION = digest(TEMPLATE)


def generator_prompt(statement: str, sample_inputs: Sequence[str]) -> str:
    """The prompt for one problem: the statement (or a note that the lake has none) and its first
    `MAX_SAMPLES` sample inputs, each cut at `MAX_SAMPLE_CHARS`."""
    blocks = [
        f"### Sample input {number}:\n```\n{_cut(sample)}\n```"
        for number, sample in enumerate(sample_inputs[:MAX_SAMPLES], start=1)
    ]
    samples = "\n\n".join(blocks) or "### Sample inputs:\n(none in the lake: follow the statement's input format)"
    return TEMPLATE.format(statement=statement.strip() or NO_STATEMENT, samples=samples)


def _cut(sample: str) -> str:
    sample = sample.rstrip("\n")
    return sample if len(sample) <= MAX_SAMPLE_CHARS else sample[:MAX_SAMPLE_CHARS] + "\n... (cut)"


def generator_program(response: str) -> str | None:
    """The C++ program in a model's response (`evaluation.extract`'s rules), or None when there
    is none: no code at all, or code without a `main(` (prose, a fragment, an input example)."""
    extracted = extract_program(response)
    return extracted.code if extracted.status != "empty" and "main(" in extracted.code else None
