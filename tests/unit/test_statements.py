"""Problem statements from problem pages: the markup families, the sample's pages, ingestion's
rejects (tests/integration/test_real_problem_pages.py: all 3,999 real CodeNet pages)."""

from __future__ import annotations

import re

from pie_assets.codenet.ingest import ingest_problem
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.statements import extract_statement
from pie_assets.codenet.text import sha256_hex
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_aizu_page_with_mathjax():
    html = (
        "<script>MathJax.Hub.Config({})</script><H1>Sum</H1><p>\nGiven $N$ integers $a_i$,\nprint their sum."
        "</p><H2>Input</H2><pre>\n$N$\n$a_1$ ... $a_N$\n</pre><H2>Constraints</H2><ul><li>$1 \\leq N \\leq 10^{5}$"
        "</li><li>$|a_i| \\le \\frac{10^9}{2}$</li></ul><H2>Sample Input 1</H2><pre>\n2\n1 2\n</pre>"
        "<H2>Output for the Sample Input 1</H2><pre>\n3\n</pre><p>1 + 2 = 3.</p><H2>Note</H2><p>Use 64-bit.</p>"
    )
    assert extract_statement(html) == (
        "Sum\n\nGiven N integers a_i, print their sum.\n\nInput\n\nN\na_1 ... a_N\n\n"
        "Constraints\n\n- 1 ≤ N ≤ 10^5\n- |a_i| ≤ (10^9)/2\n\nNote\n\nUse 64-bit."
    )


def test_atcoder_page_gives_the_english_copy_without_samples():
    html = (
        '<span class="lang"><span class="lang-ja"><h3>問題文</h3><p><var>N</var> 個の整数</p>'
        "<h3>入力例 1</h3><pre>3\n</pre></span>"
        '<span class="lang-en"><p>Score : <var>100</var> points</p><h3>Problem Statement</h3>'
        "<p>Given <var>N</var> integers, with <var>2 \\leq N \\leq 2 \\times 10^5</var>.</p>"
        "<h3>Input</h3><pre><var>N</var>\n<var>A_1</var> <var>\\ldots</var> <var>A_N</var>\n</pre>"
        "<h3>Sample Input 1</h3><pre>3\n</pre><h3>Sample Output 1</h3><pre>6\n</pre><p>Explained.</p>"
        "</span></span>"
    )
    assert extract_statement(html) == (
        "Score : 100 points\n\nProblem Statement\n\nGiven N integers, with 2 ≤ N ≤ 2 × 10^5.\n\nInput\n\nN\nA_1 … A_N"
    )


def test_japanese_only_page_tables_and_bold_sample_labels():
    html = (
        '<span class="lang-ja"><h3>問題文</h3><p>表を見よ。</p><table><tr><th>x</th><th>y</th></tr>'
        "<tr><td>1</td><td>2</td></tr></table><b>入力例 1</b><br><pre>1\n</pre><b>出力例 1</b><pre>2\n</pre></span>"
    )
    assert extract_statement(html) == "問題文\n\n表を見よ。\n\nx | y\n1 | 2"


def test_pages_without_a_statement():
    assert extract_statement("") == extract_statement("  \n") == extract_statement("<!-- nothing -->") == ""
    assert extract_statement("<h2>Sample Input</h2><pre>1\n</pre><h2>Sample Output</h2><pre>1\n</pre>") == ""


def test_sample_pages_give_their_statements():
    phrases = {
        "p90001": ["Takahashi is visiting a shop", "1 ≤ i < j ≤ N", "1 ≤ A_i ≤ 10^9", "A_1 A_2 … A_N"],
        "p90002": ["Range Sum Queries", "answers all the questions", "1 ≤ N ≤ 10,000", "l_Q r_Q"],
        "p90003": ["staircase with N steps", "modulo 1 000 000 007", "1 ≤ N ≤ 10^6"],
        "p90004": ["multiples of 3 or multiples of 5", "1 ≤ N_i ≤ 10^6"],
        "p90005": ["Kinds of Stamps", "how many different kinds", "0 ≤ a_i ≤ 1,000,000"],
        "p90006": ["number of primes less than or equal to N_i", "1 ≤ N_i ≤ 10^5"],
        "p90007": ["Orchard Harvest", "number of apples", "1 ≤ H, W ≤ 300"],
    }
    pages = sorted((SAMPLE_CODENET_ROOT / "problem_descriptions").glob("*.html"))
    assert [p.stem for p in pages] == sorted(phrases)
    for page in pages:
        statement = extract_statement(page.read_text())
        for phrase in phrases[page.stem] + ["Input", "Output", "Constraints"]:
            assert phrase in statement, (page.stem, phrase)
        assert "Sample" not in statement and "$" not in statement and "<var>" not in statement, page.stem
        assert not JAPANESE.search(statement), page.stem  # the AtCoder pages' English copies


def test_ingestion_writes_one_row_or_a_reject(quirky):
    layout = CodeNetLayout(str(SAMPLE_CODENET_ROOT))
    row = ingest_problem(layout, "p90001", str(SAMPLE_EXTRA_TESTS)).statements.row(0, named=True)
    assert row["problem_id"] == "p90001" and row["source_path"] == "problem_descriptions/p90001.html"
    assert row["statement_sha256"] == sha256_hex(row["statement"].encode("utf-8"))

    root, extra = quirky
    for problem, reason in (
        ("p00003", "no problem page, so no statement"),  # no page at all
        ("p00004", "problem page has no statement text (empty, or only samples)"),
    ):
        tables = ingest_problem(CodeNetLayout(str(root)), problem, str(extra))
        assert tables.statements.is_empty()
        rejects = tables.rejects.filter(tables.rejects["table_name"] == "problem_statements")
        assert rejects.select("action", "reason", "path").rows() == [
            ("missing", reason, f"problem_descriptions/{problem}.html")
        ]
