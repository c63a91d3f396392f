"""An input as lines of whitespace-separated tokens, and the counts in it: which integer tokens
say how big a following block is, so that mutation and scaling can grow a block and its count
together (an input whose count disagrees with its data is invalid, not stressful).

A count is an integer token of a header line whose value is the size of what follows it, matched
in the header's token order from the next line on:

* `tokens`: the next line holds exactly that many tokens (`N K` then `a_1 .. a_N`);
* `lines`: that many following lines, all with the same number of tokens (`Q` then Q queries);
* `width`: after a `lines` block of the same header, each of its lines holds that many tokens, or
  one token of that many characters (`H W` then H rows of W digits).

Lines inside a block are data, never headers. Contest inputs are read token by token (cin,
scanf), so a block of one token per line or one line of tokens read the same: the heuristic needs
to be right about sizes, not about layout. Inputs it misreads become candidates the accepted
programs reject (crash, disagree), never wrong tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# An integer that a program reads as a number: no leading zero (`0123` is a string of digits), at
# most 18 digits (int64).
INT_RE = re.compile(r"^-?(0|[1-9]\d{0,17})$")


class Kind(StrEnum):
    TOKENS = "tokens"
    LINES = "lines"
    WIDTH = "width"


@dataclass(frozen=True)
class Count:
    """Token `token` of line `line` counts `kind` of the block at lines [start, start + size)
    (`tokens`: size 1, the line holding the counted tokens)."""

    line: int
    token: int
    kind: Kind
    start: int
    size: int


def parse(text: str) -> list[list[str]]:
    """The input's lines as token lists (trailing empty lines dropped)."""
    lines = [line.split() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def render(lines: list[list[str]]) -> str:
    """Tokens joined by one space, lines by newlines, a final newline."""
    return "".join(" ".join(tokens) + "\n" for tokens in lines)


def is_int(token: str) -> bool:
    return INT_RE.match(token) is not None


def find_counts(lines: list[list[str]]) -> list[Count]:
    """The counts of the input (see the module docstring), headers in line order."""
    counts: list[Count] = []
    data: set[int] = set()  # lines inside a block
    for i, header in enumerate(lines):
        if i in data:
            continue
        cursor = i + 1
        block: Count | None = None  # the last `lines` block of this header, for a width
        for t, token in enumerate(header):
            if not is_int(token) or (value := int(token)) < 1:
                continue
            if block is not None and _width_of(lines, block) == value and value > 1:
                counts.append(Count(i, t, Kind.WIDTH, block.start, block.size))
                block = None
            elif cursor >= len(lines):
                continue
            elif len(lines[cursor]) == value:
                counts.append(Count(i, t, Kind.TOKENS, cursor, 1))
                data.add(cursor)
                cursor += 1
            elif cursor + value <= len(lines) and len({len(lines[k]) for k in range(cursor, cursor + value)}) == 1:
                block = Count(i, t, Kind.LINES, cursor, value)
                counts.append(block)
                data.update(range(cursor, cursor + value))
                cursor += value
    return counts


def _width_of(lines: list[list[str]], block: Count) -> int | None:
    """The common width of a `lines` block's rows: their token count, or, for rows of one token,
    its length."""
    rows = lines[block.start : block.start + block.size]
    if len(rows[0]) > 1:
        return len(rows[0])
    lengths = {len(row[0]) for row in rows}
    return lengths.pop() if len(lengths) == 1 else None


def char_rows(lines: list[list[str]], counts: list[Count]) -> set[int]:
    """Lines whose one token is a row of characters (a `width` counts its length): never a number."""
    return {k for c in counts if c.kind == Kind.WIDTH for k in range(c.start, c.start + c.size) if len(lines[k]) == 1}
