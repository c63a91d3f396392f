"""Sample tests from problem pages: the markup families (tests/integration/test_real_problem_pages.py:
all 3,999 real CodeNet pages)."""

from __future__ import annotations

from pie_assets.codenet.html_samples import extract_samples


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
