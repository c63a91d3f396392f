"""Sample tests from problem pages: the markup families, then all 3,999 real CodeNet pages."""

from __future__ import annotations

from collections import Counter

from pie_assets.codenet.html_samples import extract_samples
from pie_assets.codenet.text import decode_exact


def test_aizu_page():
    html = (
        "<H1>T</H1><H2>Input</H2><pre>\nN\n</pre>"
        "<H2>Sample Input 1</H2>\n<pre>\n3\n1 2 3\n</pre>\n<H2>Output for the Sample Input 1</H2>\n<pre>\n6\n</pre>"
        "<H2>Sample Input 2</H2>\n<pre>\n1\n5\n</pre>\n<H2>Output for the Sample Input 2</H2>\n<pre>\n5\n</pre>"
    )
    page = extract_samples(html)
    assert [(s.number, s.input, s.output) for s in page.samples] == [(1, "3\n1 2 3\n", "6\n"), (2, "1\n5\n", "5\n")]
    assert page.problems == []


def test_atcoder_page_takes_the_english_copy_once():
    html = (
        '<span class="lang-ja"><h3>入力例 1</h3><pre>3 2\n</pre><h3>出力例 1</h3><pre>1 2\n</pre></span>'
        '<span class="lang-en"><h3>Sample Input 1</h3><pre>3 2\n</pre><h3>Sample Output 1</h3><pre>1 2\n</pre>'
        "<h3>Sample Input 2</h3><pre>6 1\n</pre><h3>Sample Output 2</h3><pre>6\n</pre></span>"
    )
    assert [(s.input, s.output) for s in extract_samples(html).samples] == [("3 2\n", "1 2\n"), ("6 1\n", "6\n")]


def test_japanese_only_and_bold_labels_and_entities():
    html = "<h2>入出力例</h2><b>入力例 1</b><br><pre>1 &lt; 2\n</pre><b>出力例 1</b><br><pre>yes\n</pre>"
    assert [(s.input, s.output) for s in extract_samples(html).samples] == [("1 < 2\n", "yes\n")]


def test_unclosed_heading_and_mistyped_numbers_pair_in_order():
    html = (
        "<h2>Sample Input 1</h2><pre>1\n</pre><h2>Sample Output 1<h2><pre>2\n</pre>"
        "<h2>Sample Input 1</h2><pre>3\n</pre><h2>Sample Output 2</h2><pre>4\n</pre>"
    )
    assert [(s.number, s.input, s.output) for s in extract_samples(html).samples] == [
        (1, "1\n", "2\n"),
        (2, "3\n", "4\n"),
    ]


def test_unpaired_sample_is_reported_and_other_pre_ignored():
    html = "<h2>Input</h2><pre>fmt</pre><h2>Sample Input</h2><pre>1\n</pre><h2>Notes</h2><pre>x</pre>"
    page = extract_samples(html)
    assert page.samples == [] and page.problems == ["sample input 1 has no output"]


def test_real_codenet_pages(problem_pages):
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
