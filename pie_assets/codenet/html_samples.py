"""Sample tests from CodeNet problem pages (`problem_descriptions/pXXXXX.html`).

Pages come in two families: AIZU (`<H2>Sample Input 1</H2><pre>…`, `Output for the Sample
Input 1`) and AtCoder (a `lang-ja` and a `lang-en` span holding the same samples as
`入力例 1` / `Sample Input 1`). Every heading that names a sample input or output claims the
next `<pre>` in document order; inputs and outputs pair by their number (or order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LABELS = {"b", "strong", "p"}  # some pages label samples in bold or a short paragraph
MAX_LABEL_CHARS = 60
# A heading's own words, without a <pre> or heading that broken markup nested inside it.
LABEL_TEXT = etree.XPath(
    "./text() | ./*[not(self::pre or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6)]//text()"
)
OUTPUT_RE = re.compile(
    r"(sample|sapmle)\s*output|output\s+for\s+(the\s+)?sample|出力例|サンプル出力|に対する出力", re.I
)
INPUT_RE = re.compile(r"(sample|sapmle)\s*input|入力例|サンプル入力|^ex[a-z]*le\s*#?\s*\d*$", re.I)
# Once a "Sample Input and Output" / 入出力例 section began, bare "Input #1" / 出力1 labels count too.
SAMPLE_SECTION_RE = re.compile(r"sample|sapmle|入出力例|サンプル|^ex[a-z]*le\b", re.I)
BARE_OUTPUT_RE = re.compile(r"^(output|出力)\s*#?\s*\d*\s*[:：]?$", re.I)
BARE_INPUT_RE = re.compile(r"^(input|入力)\s*#?\s*\d*\s*[:：]?$", re.I)
NUMBER_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class Sample:
    number: int
    input: str
    output: str


@dataclass(frozen=True)
class PageSamples:
    samples: list[Sample]
    problems: list[str]  # human-readable notes on sample headings that could not be paired


def _normalize(text: str) -> str:
    """`<pre>` text as a test file: LF line ends, no leading blank line, one final newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\n").rstrip()
    return text + "\n" if text else ""


@dataclass(frozen=True)
class Claim:
    """A sample heading (or label) and the `<pre>` it claims."""

    label: etree._Element
    pre: etree._Element
    section: str  # "en", "ja" or "main" (outside any language span)
    kind: str  # "input" or "output"
    number: int | None


def parse_page(html: str) -> etree._Element | None:
    """A problem page's element tree (lxml's forgiving HTML parser), or None when it is empty."""
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except etree.ParserError:  # e.g. only a comment: nothing to parse
        return None


def _section(element: etree._Element) -> str:
    """Which copy of an AtCoder page holds `element`: "en", "ja", or "main" outside both."""
    for ancestor in element.iterancestors("span", "div"):
        classes = (ancestor.get("class") or "").split()
        if "lang-en" in classes:
            return "en"
        if "lang-ja" in classes:
            return "ja"
    return "main"


def heading_text(element: etree._Element) -> str:
    """A heading's own words, whitespace collapsed."""
    return " ".join("".join(LABEL_TEXT(element)).split())


def sample_claims(root: etree._Element) -> list[Claim]:
    """Every `<pre>` a sample heading claims, in document order (see the module docstring)."""
    claims: list[Claim] = []
    pending: tuple[etree._Element, str, int | None] | None = None  # (label, kind, number) awaiting a <pre>
    in_samples = False
    for el in root.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in HEADINGS or tag in LABELS:
            heading = heading_text(el)
            is_heading = tag in HEADINGS
            if not heading or (not is_heading and len(heading) > MAX_LABEL_CHARS):
                continue  # prose, not a label
            kind = sample_kind(heading, in_samples)
            in_samples = in_samples or bool(SAMPLE_SECTION_RE.search(heading))
            found = NUMBER_RE.search(heading)
            if kind:
                pending = (el, kind, int(found.group()) if found else None)
            elif is_heading:
                pending = None  # another section began: its <pre> is not a sample
        elif tag == "pre" and pending is not None:
            label, kind, number = pending
            claims.append(Claim(label, el, _section(label), kind, number))
            pending = None
    return claims


def extract_samples(html: str) -> PageSamples:
    root = parse_page(html)
    if root is None:
        return PageSamples([], [])
    by_section: dict[str, list[tuple[str, int | None, str]]] = {}
    for claim in sample_claims(root):
        by_section.setdefault(claim.section, []).append(
            (claim.kind, claim.number, _normalize(claim.pre.text_content()))
        )
    for section in ("en", "main", "ja"):
        if section in by_section:
            return _pair(by_section[section])
    return PageSamples([], [])


def sample_kind(heading: str, in_samples: bool) -> str | None:
    """ "input" or "output" when `heading` labels a sample (bare "Input 1" only inside a sample section)."""
    if OUTPUT_RE.search(heading) or (in_samples and BARE_OUTPUT_RE.match(heading)):
        return "output"
    if INPUT_RE.search(heading) or (in_samples and BARE_INPUT_RE.match(heading)):
        return "input"
    return None


def _pair(claims: list[tuple[str, int | None, str]]) -> PageSamples:
    kinds = [kind for kind, _, _ in claims]
    if kinds == ["input", "output"] * (len(claims) // 2):
        # Strict alternation: pair in order, whatever the (sometimes mistyped) numbers say.
        return PageSamples([Sample(i + 1, claims[2 * i][2], claims[2 * i + 1][2]) for i in range(len(claims) // 2)], [])
    inputs: dict[int, str] = {}
    outputs: dict[int, str] = {}
    for kind, number, text in claims:
        target = inputs if kind == "input" else outputs
        key = number if number is not None else len(target) + 1
        target.setdefault(key, text)
    problems = [f"sample input {n} has no output" for n in sorted(set(inputs) - set(outputs))]
    problems += [f"sample output {n} has no input" for n in sorted(set(outputs) - set(inputs))]
    samples = [Sample(n, inputs[n], outputs[n]) for n in sorted(set(inputs) & set(outputs))]
    return PageSamples(samples, problems)
