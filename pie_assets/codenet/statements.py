"""Problem statements from CodeNet problem pages, as plain text: the prompt of preference pairs.

The statement is the page's text without its samples (those are `test_cases` rows): the title,
the task, the input and output formats, the constraints and any notes, one paragraph per block
separated by blank lines, lists as `- item`, `<pre>` blocks verbatim. Math is flattened to text:
MathJax delimiters (`$…$`, `\\(…\\)`) and AtCoder's `<var>` (KaTeX) lose their markup and common
TeX commands become their symbols (`\\leq` → ≤, `10^{18}` → 10^18, `\\frac{a}{b}` → a/b). An
AtCoder page with an English copy (`lang-en`) gives that copy, else its Japanese one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import polars as pl
from lxml import etree

from pie_assets.codenet.html_samples import (
    HEADINGS,
    MAX_LABEL_CHARS,
    SAMPLE_SECTION_RE,
    heading_text,
    parse_page,
    sample_claims,
    sample_kind,
)
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.rejects import Reject
from pie_assets.codenet.text import decode_exact, sha256_hex
from pie_assets.lake.schema import ColumnTypes

STATEMENT_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "statement": pl.Utf8,
    "statement_sha256": pl.Utf8,
    "source_path": pl.Utf8,
}
SKIPPED = {"script", "style", "head", "title", "noscript", "img", "svg", "button", "input", "form", "iframe"}
BLOCKS = HEADINGS | {
    "p",
    "div",
    "section",
    "article",
    "blockquote",
    "center",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "hr",
    "figure",
    "figcaption",
    "body",
    "html",
}
TEX_SYMBOLS = {
    "leq": "≤",
    "le": "≤",
    "leqq": "≤",
    "leqslant": "≤",
    "geq": "≥",
    "ge": "≥",
    "geqq": "≥",
    "geqslant": "≥",
    "neq": "≠",
    "ne": "≠",
    "lt": "<",
    "gt": ">",
    "times": "×",
    "cdot": "·",
    "div": "÷",
    "pm": "±",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "vdots": "⋮",
    "ddots": "⋱",
    "rightarrow": "→",
    "to": "→",
    "leftarrow": "←",
    "gets": "←",
    "Rightarrow": "⇒",
    "Leftrightarrow": "⇔",
    "in": "∈",
    "notin": "∉",
    "subseteq": "⊆",
    "subset": "⊂",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "emptyset": "∅",
    "forall": "∀",
    "exists": "∃",
    "infty": "∞",
    "sum": "Σ",
    "prod": "Π",
    "sqrt": "√",
    "oplus": "⊕",
    "otimes": "⊗",
    "equiv": "≡",
    "simeq": "≃",
    "approx": "≈",
    "prec": "≺",
    "circ": "∘",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "langle": "⟨",
    "rangle": "⟩",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
    "mid": "|",
    "triangle": "△",
    "not": "¬",
    "ell": "ℓ",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "omega": "ω",
    "Delta": "Δ",
    "Sigma": "Σ",
    "bmod": "mod",
    "mod": "mod",
    "gcd": "gcd",
    "max": "max",
    "min": "min",
    "log": "log",
    "sin": "sin",
    "cos": "cos",
    "{": "{",
    "}": "}",
    "%": "%",
    "&": "&",
    "_": "_",
    "#": "#",
    "$": "$",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    " ": " ",
    "quad": " ",
    "qquad": " ",
    "\\": " ",
    "left": "",
    "right": "",
    "displaystyle": "",
    "rm": "",
    "it": "",
    "tt": "",
    "bf": "",
}
TEX_UNWRAP = (
    "mathrm",
    "text",
    "textrm",
    "textbf",
    "texttt",
    "mathit",
    "mathbf",
    "mathtt",
    "mathbb",
    "mathcal",
    "mbox",
    "operatorname",
    "bar",
    "overline",
)
GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"  # one brace group, one level of nesting inside
FRAC_RE = re.compile(r"\\[dtc]?frac\s*" + GROUP + r"\s*" + GROUP)
BINOM_RE = re.compile(r"\\binom\s*" + GROUP + r"\s*" + GROUP)
PMOD_RE = re.compile(r"\\pmod\s*" + GROUP)
UNWRAP_RE = re.compile(r"\\(?:" + "|".join(TEX_UNWRAP) + r")\s*" + GROUP)
SCRIPT_RE = re.compile(r"([\^_])\s*" + GROUP)
COMMAND_RE = re.compile(r"\\([A-Za-z]+|.)")
MATH_RE = re.compile(r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "text", "item" (of a list), "row" (of a table) or "pre"
    text: str


def read_statement(layout: CodeNetLayout, problem_id: str) -> tuple[pl.DataFrame, list[Reject]]:
    """The problem's `problem_statements` row, or no row and a reject saying why."""
    page = layout.description_html(problem_id)
    path = layout.relative(page)
    if not os.path.isfile(page):
        reason = "no problem page, so no statement"
    else:
        with open(page, "rb") as f:
            statement = extract_statement(decode_exact(f.read())[0])
        if statement:
            row = (problem_id, statement, sha256_hex(statement.encode("utf-8")), path)
            return pl.DataFrame([row], schema=STATEMENT_SCHEMA, orient="row"), []
        reason = "problem page has no statement text (empty, or only samples)"
    return (
        pl.DataFrame(schema=STATEMENT_SCHEMA),
        [Reject(problem_id, "problem_statements", path, None, "missing", reason)],
    )


def extract_statement(html: str) -> str:
    """The statement of a page as plain text ("" when it has none); see the module docstring."""
    root = parse_page(html)
    if root is None:
        return ""
    # Sample <pre>s and their bold or paragraph labels; sample headings stay, to end their sections.
    samples = {
        el
        for claim in sample_claims(root)
        for el in (claim.label, claim.pre)
        if el is claim.pre or el.tag.lower() not in HEADINGS
    }
    copies: dict[str, list[etree._Element]] = {"en": [], "ja": []}
    for el in root.iter("span", "div"):
        classes = (el.get("class") or "").split()
        for lang, found in copies.items():
            if f"lang-{lang}" in classes:
                found.append(el)
    for parts in (copies["en"], copies["ja"], [root]):
        blocks: list[Block] = []
        for part in _outermost(parts):
            blocks.extend(_Renderer(samples).render(part))
        if text := _join(_without_samples(blocks)):
            return text
    return ""


def _join(blocks: list[Block]) -> str:
    """Blank lines between blocks, one newline between the items of a list or the rows of a table."""
    out: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            out.append("\n" if block.kind == blocks[i - 1].kind in ("item", "row") else "\n\n")
        out.append(block.text)
    return "".join(out)


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _without_samples(blocks: list[Block]) -> list[Block]:
    """Drops each sample section: from a sample heading to the next heading that is not one (a
    long heading is prose, e.g. a notice that a sample was withdrawn)."""
    kept, in_samples = [], False
    for block in blocks:
        if block.kind == "heading":
            label = len(block.text) <= MAX_LABEL_CHARS
            in_samples = label and bool(sample_kind(block.text, in_samples) or SAMPLE_SECTION_RE.search(block.text))
        if not in_samples:
            kept.append(block)
    return kept


class _Renderer:
    """Walks an element tree into blocks; inline text accumulates into the current paragraph."""

    def __init__(self, skip: set[etree._Element]) -> None:
        self.skip = skip
        self.blocks: list[Block] = []
        self.line: list[str] = []

    def render(self, root: etree._Element) -> list[Block]:
        self._children(root)
        self._flush()
        return self.blocks

    def _children(self, el: etree._Element) -> None:
        self._text(el.text)
        for child in el:
            self._element(child)
            self._text(child.tail)

    def _element(self, el: etree._Element) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in SKIPPED or el in self.skip:
            return  # comments, scripts, images, sample labels and their <pre>
        if tag == "br":
            self.line.append("\n")
        elif tag == "pre":
            self._flush()
            raw = _pre_text(el).replace("\r", "").strip("\n")
            text = "\n".join(line.rstrip() for line in raw.split("\n"))
            if text.strip():
                self.blocks.append(Block("pre", flatten_math(text)))
        elif tag in HEADINGS:
            self._flush()
            if text := flatten_math(heading_text(el)):
                self.blocks.append(Block("heading", text))
            for child in el:  # a <pre> or heading that broken markup nested inside the heading
                if isinstance(child.tag, str) and child.tag.lower() in HEADINGS | {"pre"}:
                    self._element(child)
        elif tag == "var":
            self.line.append(flatten_tex(" ".join(el.text_content().split())))
        elif tag in ("sup", "sub"):
            self.line.append("^" if tag == "sup" else "_")
            self._children(el)
        elif tag in ("td", "th"):
            if el.getprevious() is not None:
                self.line.append(" | ")
            self._children(el)
        elif tag == "li":
            self._flush()
            self.line.append("- ")
            self._children(el)
            self._flush("item")
        elif tag == "tr":
            self._flush()
            self._children(el)
            self._flush("row")
        elif tag in BLOCKS:
            self._flush()
            self._children(el)
            self._flush()
        else:
            self._children(el)

    def _text(self, text: str | None) -> None:
        if text:
            self.line.append(text.replace("\n", " ").replace("\r", " "))

    def _flush(self, kind: str = "text") -> None:
        lines = [" ".join(line.split()) for line in "".join(self.line).split("\n")]
        text = flatten_math(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n"))
        if text:
            self.blocks.append(Block(kind, text))
        self.line = []


def _pre_text(el: etree._Element) -> str:
    """A `<pre>`'s text as written, its `<var>`s flattened."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            tag = child.tag.lower()
            parts.append(flatten_tex(child.text_content()) if tag == "var" else _pre_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def flatten_math(text: str) -> str:
    """MathJax segments (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`) as plain text; `\\$` is a dollar."""
    flat = MATH_RE.sub(lambda m: flatten_tex(next(g for g in m.groups() if g is not None)), text)
    return flat.replace("\\$", "$")


def flatten_tex(tex: str) -> str:
    """Common TeX as text: symbols, fractions, unwrapped text commands, ^{…}/_{…} groups."""
    for _ in range(3):  # a construct inside another one takes another pass
        tex = FRAC_RE.sub(lambda m: f"{_operand(m[1])}/{_operand(m[2])}", tex)
        tex = BINOM_RE.sub(lambda m: f"C({m[1]}, {m[2]})", tex)
        tex = PMOD_RE.sub(lambda m: f" (mod {m[1]})", tex)
        tex = UNWRAP_RE.sub(lambda m: m[1], tex)
    tex = SCRIPT_RE.sub(lambda m: m[1] + (m[2] if re.fullmatch(r"[\w,.']+", m[2]) else f"({m[2]})"), tex)
    tex = re.sub(r"(?<!\\)[{}]", "", tex).replace("~", " ")  # grouping braces; \{ \} are sets
    tex = COMMAND_RE.sub(lambda m: TEX_SYMBOLS.get(m[1], m[1]), tex)
    return " ".join(tex.split()) if "\n" not in tex else tex


def _operand(text: str) -> str:
    return text if re.fullmatch(r"[\w.]+", text.strip()) else f"({text.strip()})"
