"""The C++ program inside a model's response, for compilation and judging.

Chat models wrap code in Markdown fences among prose, sometimes several (the original, then the
optimised one) and sometimes cut off by the token limit inside the fence; completion models
continuing PIE's template write raw code and then carry on with the template (`### Program:`).
The status says which case it was, so the evaluation can report why generations fail to compile.

Fences: the block is chosen by its label first (C/C++ > none > anything else), then whether it
holds a whole program (`main(`), then whether it was closed. Among whole programs the LAST wins
(responses show the original before the answer); otherwise the longest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)")
_CPP_LABELS = {"cpp", "c++", "c", "cc", "cxx", "h", "hpp", "cplusplus"}
_PIE_MARKER = re.compile(r"^[ \t]*###")
# A line that opens a C++ program: preprocessor, using/namespace/template/typedef, a comment,
# or a declaration that starts with a type (`int main(`, `long long a[N];`, `struct P {`).
_CODE_START = re.compile(
    r"^[ \t]*(?:#[ \t]*(?:include|define|pragma|import|if|ifdef|ifndef|undef)\b"
    r"|using[ \t]+namespace\b|using[ \t]+\w+[ \t]*=|namespace\b|template[ \t]*<|typedef\b|//|/\*"
    r"|(?:(?:static|const|constexpr|inline|unsigned|signed)[ \t]+)*"
    r"(?:int|long|short|char|bool|double|float|void|auto|size_t|ll|string|vector|std::\w+|struct|class|enum|union)"
    r"\b[^\n]*[;({=])"
)
_PROSE_ONLY = re.compile(r"^[^;{}#]*$")


@dataclass(frozen=True)
class Extracted:
    code: str
    status: str  # "fenced" | "unterminated_fence" (truncated inside a fence) | "unfenced" | "empty"


@dataclass(frozen=True)
class _Block:
    label: str
    lines: list[str]
    closed: bool


def extract_program(text: str) -> Extracted:
    lines = text.splitlines()
    blocks = _fenced_blocks(lines)
    if blocks:
        block = max(enumerate(blocks), key=lambda item: _rank(*item))[1]
        return _result(block.lines, "fenced" if block.closed else "unterminated_fence")
    return _result(_unfenced(lines), "unfenced")


def _result(lines: list[str], status: str) -> Extracted:
    code = "\n".join(lines).strip("\n")
    if not code.strip():
        return Extracted("", "empty")
    return Extracted(code + "\n", status)


def _fenced_blocks(lines: list[str]) -> list[_Block]:
    """Markdown fenced blocks, CommonMark-style: the close is a run of the same fence character at
    least as long as the opening; code lines lose the fence's indentation. A close glued to the
    last code line (`}```) also ends the block; an unclosed block runs to the end of the text."""
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        opening = _OPEN.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            line = lines[i]
            i += 1
            if close.match(line):
                closed = True
                break
            if line.rstrip().endswith(fence):
                body.append(_dedent(line.rstrip()[: -len(fence)], indent))
                closed = True
                break
            body.append(_dedent(line, indent))
        blocks.append(_Block(opening["info"].lower().strip("{}."), body, closed))
    return blocks


def _dedent(line: str, indent: int) -> str:
    stripped = len(line) - len(line.lstrip(" \t"))
    return line[min(indent, stripped) :]


def _rank(position: int, block: _Block) -> tuple[int, bool, bool, int]:
    label = 2 if block.label in _CPP_LABELS else 1 if not block.label else 0
    whole = any("main(" in line for line in block.lines)
    return label, whole, block.closed, position if whole else sum(len(line) for line in block.lines)


def _unfenced(lines: list[str]) -> list[str]:
    """Raw code: from the first line that looks like C++ (prose before it dropped) to the first
    PIE template marker; prose after the last top-level closing brace dropped."""
    end = next((i for i, line in enumerate(lines) if _PIE_MARKER.match(line)), len(lines))
    lines = lines[:end]
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return lines
    lines = lines[start:]
    last_brace = max((i for i, line in enumerate(lines) if line.startswith("}")), default=None)
    if last_brace is not None and all(_PROSE_ONLY.match(line) for line in lines[last_brace + 1 :]):
        lines = lines[: last_brace + 1]
    return lines
