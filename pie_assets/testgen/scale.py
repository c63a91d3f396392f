"""The scaling search's candidates: an existing input with its numbers and counted blocks grown by
2, 4, 8, ... up to `max_scale`, so the accepted programs' cost grows with the algorithm, not with
start-up.

At factor f every count becomes f times itself and its block f copies of itself (a row of
characters tiled f times); every other integer v becomes about f·v: exactly f·v in the first copy,
f·v - o in the others, with one offset o in [0, f) per copy (drawn from the candidate's seed) so
copies are not duplicates and the relations within a line (l <= r, x <= H) still hold. The caller
validates each factor in turn and stops at the first the accepted programs do not all agree on,
or whose slowest program passes `max_native_s`: the largest valid, affordable size is reached
without guessing the problem's constraints.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from pie_assets.testgen.candidates import Candidate
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.mutate import candidate_seed, generator_version
from pie_assets.testgen.tokens import Count, Kind, char_rows, find_counts, is_int, parse, render

GENERATOR = "scale"
# Inputs past this size are not tried: far beyond what stays under a 50 ms native budget, and each
# kept test is stored in the lake and read by every measured run.
MAX_INPUT_BYTES = 1 << 20


def scale_candidates(
    problem_id: str, parent_test_id: str, parent_input: str, settings: GeneratedTestsSettings
) -> Iterator[Candidate]:
    """The parent scaled by 2, 4, ... up to `settings.max_scale`, smallest first; it ends early at
    an input over MAX_INPUT_BYTES or at one with nothing in it to scale."""
    version = generator_version()
    factor = 2
    while factor <= settings.max_scale:
        seed = candidate_seed(settings.seed, problem_id, parent_test_id, GENERATOR, factor)
        text = scaled(parent_input, factor, seed)
        if len(text.encode()) > MAX_INPUT_BYTES or text == render(parse(parent_input)):
            return
        yield Candidate(problem_id, text, GENERATOR, version, seed, factor, parent_test_id)
        factor *= 2


def scaled(text: str, factor: int, seed: int) -> str:
    """`text` grown `factor` times (see the module docstring)."""
    rng = random.Random(seed)
    lines = parse(text)
    counts = find_counts(lines)
    rows = char_rows(lines, counts)
    counted = {(c.line, c.token) for c in counts}
    widths = {k: c for c in counts if c.kind == Kind.WIDTH for k in range(c.start, c.start + c.size)}
    offsets = [0] + [rng.randrange(factor) for _ in range(factor - 1)]

    def number(token: str, offset: int) -> str:
        if not is_int(token) or (value := int(token)) == 0:
            return token
        return str(value * factor - offset if value > 0 else value * factor + offset)

    def row(k: int, offset: int) -> list[str]:
        """Line k of a block at one copy's offset, its width grown when a count says so."""
        if k in rows:
            return [lines[k][0] * factor]
        copies = range(factor) if k in widths else range(1)
        return [number(token, (offset + offsets[j]) % factor) for j in copies for token in lines[k]]

    blocks: dict[int, Count] = {c.start: c for c in counts if c.kind in (Kind.TOKENS, Kind.LINES)}
    out: list[list[str]] = []
    k = 0
    while k < len(lines):
        block = blocks.get(k)
        if block is not None:
            out.extend(row(m, offsets[j]) for j in range(factor) for m in range(block.start, block.start + block.size))
            if block.kind == Kind.TOKENS:
                out[-factor:] = [[token for part in out[-factor:] for token in part]]
            k = block.start + block.size
            continue
        out.append([str(int(t) * factor) if (k, i) in counted else number(t, 0) for i, t in enumerate(lines[k])])
        k += 1
    return render(out)
