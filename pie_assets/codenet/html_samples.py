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
OUTPUT_RE = re.compile(r"(sample|sapmle)\s*output|output\s+for\s+(the\s+)?sample|出力例|サンプル出力|に対する出力", re.I)
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


def _section(element: etree._Element) -> str:
    for ancestor in element.iterancestors("span", "div"):
        classes = (ancestor.get("class") or "").split()
        if "lang-en" in classes:
            return "en"
        if "lang-ja" in classes:
            return "ja"
    return "main"


def extract_samples(html: str) -> PageSamples:
    if not html.strip():
        return PageSamples([], [])
    root = lxml.html.fromstring(html)
    claims: dict[str, list[tuple[str, int | None, str | None]]] = {}
    pending: tuple[str, str, int | None] | None = None  # (section, kind, number) awaiting a <pre>
    in_samples = False
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in HEADINGS or tag.lower() in LABELS:
            heading = " ".join("".join(LABEL_TEXT(el)).split())
            is_heading = tag.lower() in HEADINGS
            if not heading or (not is_heading and len(heading) > MAX_LABEL_CHARS):
                continue  # prose, not a label
            kind = _kind(heading, in_samples)
            in_samples = in_samples or bool(SAMPLE_SECTION_RE.search(heading))
            number = NUMBER_RE.search(heading)
            if kind:
                pending = (_section(el), kind, int(number.group()) if number else None)
            elif is_heading:
                pending = None  # another section began: its <pre> is not a sample
        elif tag.lower() == "pre" and pending is not None:
            section, kind, number = pending
            claims.setdefault(section, []).append((kind, number, _normalize(el.text_content())))
            pending = None
    for section in ("en", "main", "ja"):
        if section in claims:
            return _pair(claims[section])
    return PageSamples([], [])


def _kind(heading: str, in_samples: bool) -> str | None:
    if OUTPUT_RE.search(heading) or (in_samples and BARE_OUTPUT_RE.match(heading)):
        return "output"
    if INPUT_RE.search(heading) or (in_samples and BARE_INPUT_RE.match(heading)):
        return "input"
    return None


def _pair(claims: list[tuple[str, int | None, str]]) -> PageSamples:
    kinds = [kind for kind, _, _ in claims]
    if kinds == ["input", "output"] * (len(claims) // 2):
        # Strict alternation: pair in order, whatever the (sometimes mistyped) numbers say.
        return PageSamples(
            [Sample(i + 1, claims[2 * i][2], claims[2 * i + 1][2]) for i in range(len(claims) // 2)], []
        )
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
