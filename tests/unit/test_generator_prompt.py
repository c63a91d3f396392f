"""The generator prompt (its text, cuts and version) and the generator program in a response."""

from __future__ import annotations

from pie_assets.testgen.generator_prompt import (
    ANSWER,
    MAX_SAMPLE_CHARS,
    NO_STATEMENT,
    TASK,
    generator_program,
    generator_prompt,
)

GENERATOR = """#include <cstdio>
#include <cstdlib>
int main(int argc, char **argv) {
    int n = std::atoi(argv[1]);
    std::printf("%d\\n", n);
}
"""


def test_the_prompt_holds_the_task_the_statement_and_the_samples_in_order() -> None:
    prompt = generator_prompt("  Print the sum of N numbers.\n", ["3\n1 2 3\n", "1\n7\n"])
    assert prompt == (
        f"{TASK}\n\n### Problem:\nPrint the sum of N numbers.\n\n"
        "### Sample input 1:\n```\n3\n1 2 3\n```\n\n### Sample input 2:\n```\n1\n7\n```\n\n"
        f"{ANSWER}"
    )
    assert "argv[1]" in TASK and "argv[2]" in TASK and "deterministic" in TASK


def test_missing_statement_and_samples_are_said_so_and_long_samples_are_cut() -> None:
    assert NO_STATEMENT in generator_prompt("", ["1\n"])
    assert "(none in the lake" in generator_prompt("Sum them.", [])
    long = "9 " * MAX_SAMPLE_CHARS
    prompt = generator_prompt("Sum them.", [long, "1\n", "2\n", "3\n"])
    assert long not in prompt and "9 " * (MAX_SAMPLE_CHARS // 2) in prompt and "(cut)" in prompt
    assert "### Sample input 3:" in prompt and "### Sample input 4:" not in prompt


def test_braces_in_a_statement_are_kept_verbatim() -> None:
    assert "a {x} {{y}} set" in generator_prompt("a {x} {{y}} set", ["1\n"])


def test_the_generator_program_is_the_fenced_cpp_block() -> None:
    response = f"Sample input:\n```\n3\n```\nThe generator:\n```cpp\n{GENERATOR}```\nRun it with ./gen 10 0."
    assert generator_program(response) == GENERATOR


def test_raw_code_without_a_fence_is_a_program() -> None:
    assert generator_program(GENERATOR) == GENERATOR


def test_a_response_without_a_main_is_no_program() -> None:
    assert generator_program("I cannot write a generator for this problem.") is None
    assert generator_program("") is None
    assert generator_program('Use this loop:\n```cpp\nfor (int i = 0; i < n; i++) puts("1");\n```') is None
    assert generator_program("An input:\n```\n3\n1 2 3\n```") is None
