"""All 3,999 real CodeNet problem pages of ../shared (skipped without it): every sample pair becomes
a test, every page gives a statement."""

from __future__ import annotations

import re
from collections import Counter

import lxml.html

from pie_assets.codenet.html_samples import extract_samples
from pie_assets.codenet.statements import extract_statement
from pie_assets.codenet.text import decode_exact

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Pages whose whole text is a stub (AIZU test problems): their statement is that stub.
STUBS = {"p02225", "p02226", "p02227", "p02228", "p02229", "p02230", "p02231", "p02232", "p02478"}


def test_samples_of_the_real_pages(problem_pages):
    """Every Sample Input N / Sample Output N pair of the 3,999 real pages becomes a test."""
    per_page: Counter[int] = Counter()
    unpaired = 0
    for page in sorted(problem_pages.glob("*.html")):
        parsed = extract_samples(decode_exact(page.read_bytes())[0])
        per_page[len(parsed.samples)] += 1
        unpaired += bool(parsed.problems)
        for sample in parsed.samples:
            assert sample.input.endswith("\n") or sample.input == ""
    pages = sum(per_page.values())
    tests = sum(n * count for n, count in per_page.items())
    print(
        f"\n{pages} pages -> {tests} tests; pages by number of tests: {dict(sorted(per_page.items()))}; "
        f"{unpaired} pages with an unpaired sample heading"
    )
    assert pages == 3999
    # Measured: 3,937 pages yield >= 1 test, 9,081 tests; the rest have no samples (e.g. p00000).
    assert pages - per_page[0] >= 3930
    assert tests >= 9000


def test_statements_of_the_real_pages(problem_pages):
    """Every real page gives a statement; an English copy is taken whole and alone."""
    lengths: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    for page in sorted(problem_pages.glob("*.html")):
        html = decode_exact(page.read_bytes())[0]
        statement = extract_statement(html)
        lengths[page.stem] = len(statement)
        english = (
            [
                el
                for el in lxml.html.fromstring(html).iter("span", "div")
                if "lang-en" in (el.get("class") or "").split()
            ]
            if html.strip()
            else []
        )
        kinds["en" if english else "ja" if "lang-ja" in html else "plain"] += 1
        if english and statement:
            # Japanese text in the statement can only be what the English copy itself quotes.
            quoted = Counter(JAPANESE.findall("".join(el.text_content() for el in english)))
            assert not Counter(JAPANESE.findall(statement)) - quoted, page.stem
            assert len(JAPANESE.findall(statement)) < 0.02 * len(statement), page.stem
    with_statement = sum(1 for n in lengths.values() if n)
    stubs = {p for p, n in lengths.items() if 0 < n < 50}
    print(
        f"\n{len(lengths)} pages ({dict(kinds)}) -> {with_statement} statements, median "
        f"{sorted(lengths.values())[len(lengths) // 2]} characters; {len(stubs)} stubs: {sorted(stubs)}"
    )
    assert len(lengths) == 3999
    assert [p for p, n in lengths.items() if not n] == []  # measured: every page has statement text
    assert stubs == STUBS
    assert kinds == {"en": 1519, "ja": 13, "plain": 2467}
