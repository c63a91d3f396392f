"""Model-free candidates, CodeContests-style: small random edits of a problem's existing inputs.

Each mutation applies one to three edits: an integer perturbed (±1, doubled, halved, redrawn),
a counted block resized with its count (tokens or lines repeated or dropped, so `N` still counts
what follows), a character changed within its class (digit, lower, upper case) or a block shuffled.
Every mutation is a function of the parent input and its seed alone; the seed is a digest of
(settings seed, problem, parent test, generator, index), never global randomness, so the same
settings and code give byte-identical candidates on any machine.
"""

from __future__ import annotations

import random
import string
import sys
from collections.abc import Callable, Iterator

import pie_assets.testgen.tokens as tokens_module
from pie_assets.testgen.candidates import Candidate
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.tokens import Count, Kind, char_rows, find_counts, is_int, parse, render
from pie_assets.versions import digest, modules_version

GENERATOR = "mutate"
Edit = Callable[[list[list[str]], list[Count], random.Random], bool]  # False: not applicable here


def candidate_seed(settings_seed: int, problem_id: str, parent_test_id: str, generator: str, index: int) -> int:
    """A candidate's own seed (60 bits, fits `seed` Int64): its RNG is `random.Random(seed)`."""
    return int(digest(f"{settings_seed}|{problem_id}|{parent_test_id}|{generator}|{index}", 15), 16)


def generator_version() -> str:
    """The code version of the model-free generators (this module and the token reader)."""
    return modules_version(sys.modules[__name__], tokens_module)


def mutations(
    problem_id: str, parent_test_id: str, parent_input: str, settings: GeneratedTestsSettings
) -> Iterator[Candidate]:
    """`settings.mutations_per_test` mutations of one existing test."""
    version = generator_version()
    for index in range(settings.mutations_per_test):
        seed = candidate_seed(settings.seed, problem_id, parent_test_id, GENERATOR, index)
        yield Candidate(problem_id, mutate(parent_input, seed), GENERATOR, version, seed, 1, parent_test_id)


def mutate(text: str, seed: int) -> str:
    """One to three edits of `text`, drawn from `random.Random(seed)`."""
    rng = random.Random(seed)
    lines = parse(text)
    for _ in range(rng.randint(1, 3)):
        edits = list(EDITS)
        rng.shuffle(edits)
        counts = find_counts(lines)  # again after each edit: a resize moves the lines after it
        any(edit(lines, counts, rng) for edit in edits)
    return render(lines)


def _numbers(lines: list[list[str]], counts: list[Count]) -> list[tuple[int, int]]:
    """(line, token) of the integers that are neither a count nor a row of characters."""
    skip = {(c.line, c.token) for c in counts}
    rows = char_rows(lines, counts)
    return [
        (i, t)
        for i, line in enumerate(lines)
        if i not in rows
        for t, token in enumerate(line)
        if is_int(token) and (i, t) not in skip
    ]


def perturb(lines: list[list[str]], counts: list[Count], rng: random.Random) -> bool:
    """An integer nudged, doubled, halved or redrawn below twice its value; its sign kept."""
    numbers = _numbers(lines, counts)
    if not numbers:
        return False
    i, t = rng.choice(numbers)
    value = int(lines[i][t])
    size = abs(value)
    new = rng.choice([size + 1, max(size - 1, 0), size * 2, size // 2, rng.randint(0, max(1, 2 * size))])
    lines[i][t] = str(-new if value < 0 else new)
    return True


def resize(lines: list[list[str]], counts: list[Count], rng: random.Random) -> bool:
    """A counted block grown (elements repeated) or shrunk (elements dropped), its count with it."""
    sized = [c for c in counts if c.kind in (Kind.TOKENS, Kind.LINES)]
    if not sized:
        return False
    count = rng.choice(sized)
    old = int(lines[count.line][count.token])
    new = rng.choice([old + 1, max(old - 1, 1), old * 2, max(old // 2, 1)])
    if count.kind == Kind.TOKENS:
        lines[count.start] = _resized(lines[count.start], new, rng)
    else:
        block = lines[count.start : count.start + count.size]
        lines[count.start : count.start + count.size] = [list(row) for row in _resized(block, new, rng)]
    lines[count.line][count.token] = str(new)
    return True


def _resized(elements: list, size: int, rng: random.Random) -> list:
    """`elements` with random ones dropped, or random ones repeated at the end, to `size`."""
    if size <= len(elements):
        kept = sorted(rng.sample(range(len(elements)), size))
        return [elements[k] for k in kept]
    return elements + [rng.choice(elements) for _ in range(size - len(elements))]


def swap_char(lines: list[list[str]], counts: list[Count], rng: random.Random) -> bool:
    """One character of a token (not a count) replaced by another of its class; an integer keeps
    no leading zero and its sign."""
    skip = {(c.line, c.token) for c in counts}
    where = [(i, t) for i, line in enumerate(lines) for t in range(len(line)) if (i, t) not in skip]
    if not where:
        return False
    i, t = rng.choice(where)
    token = lines[i][t]
    number = is_int(token)
    positions = [p for p, ch in enumerate(token) if ch.isascii() and ch.isalnum()]
    if number and token.startswith("-"):
        positions = [p for p in positions if p > 0]
    if not positions:
        return False
    p = rng.choice(positions)
    pool = next(chars for chars in (string.digits, string.ascii_lowercase, string.ascii_uppercase) if token[p] in chars)
    if number and p == (1 if token.startswith("-") else 0) and len(token) > p + 1:
        pool = pool[1:]  # a leading digit: never 0
    lines[i][t] = token[:p] + rng.choice(pool) + token[p + 1 :]
    return True


def shuffle(lines: list[list[str]], counts: list[Count], rng: random.Random) -> bool:
    """The elements of a counted block in another order."""
    sized = [c for c in counts if c.kind in (Kind.TOKENS, Kind.LINES)]
    if not sized:
        return False
    count = rng.choice(sized)
    if count.kind == Kind.TOKENS:
        rng.shuffle(lines[count.start])
    else:
        block = lines[count.start : count.start + count.size]
        rng.shuffle(block)
        lines[count.start : count.start + count.size] = block
    return True


EDITS: tuple[Edit, ...] = (perturb, resize, swap_char, shuffle)
