"""`--select`: Dagster's asset selection syntax, with bare asset names anywhere in it.

Dagster 1.13 reads a string two ways: its grammar (`key:a or group:g`, `not`, `and`, parentheses,
`+key:a` / `2+key:a+` lineage, `sinks(...)`), where an asset name must follow `key:`; else one
legacy clause (`a`, `+a`, `*a+`). So `a or b` was neither. Here a single legacy clause keeps
Dagster's meaning, and anything else goes through Dagster's own lexer and parser with `key:`
put before every name that stands where an expression starts (`a or group:g` is
`key:a or group:g`); in that grammar `*` inside a name is a wildcard and lineage is `+`.

Every asset key and group the string names must exist: an unknown one is an error naming it
and the close names, before anything runs.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable

import dagster as dg
from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from antlr4.ListTokenSource import ListTokenSource
from antlr4.Token import Token

from pie_assets.dagster_internals import (
    AntlrAssetSelectionVisitor,
    AssetSelectionLexer,
    AssetSelectionParser,
    BaseAssetGraph,
    parse_clause,
)

NAMES = (
    AssetSelectionLexer.UNQUOTED_STRING,
    AssetSelectionLexer.UNQUOTED_WILDCARD_STRING,
    AssetSelectionLexer.QUOTED_STRING,
)
VALUE_AFTER = (AssetSelectionLexer.COLON, AssetSelectionLexer.EQUAL)  # `tag:a=b`: both are values
# The attributes whose values must name something in the graph (the others may match nothing).
CHECKED = {
    (AssetSelectionLexer.KEY, AssetSelectionLexer.COLON): "asset",
    (AssetSelectionLexer.GROUP, AssetSelectionLexer.COLON): "group",
}


class SelectionError(ValueError):
    """A selection string that does not parse or names what the asset graph lacks."""


class _Raise(ErrorListener):
    """Raises at the first error, naming the user's text: ANTLR's own message quotes the tokens
    it parsed run together, with the `key:` put in."""

    def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):
        if offendingSymbol is None:  # the lexer: no token starts with this character
            raise SelectionError(f"{msg} (at character {column + 1})")
        found = "end of selection" if offendingSymbol.type == Token.EOF else repr(offendingSymbol.text)
        raise SelectionError(f"unexpected {found} at character {offendingSymbol.column + 1}")


def parse_selection(text: str, graph: BaseAssetGraph) -> dg.AssetSelection:
    """The selection `text` means; a SelectionError when it does not parse or names an unknown
    asset or group."""
    clause = parse_clause(text)
    if clause is not None:  # Dagster's one-clause form: `a`, `+a`, `*a+`
        _check_known("asset", [clause.item_name], graph)
        return dg.AssetSelection.from_string(text)
    tokens = _tokens(text)
    named: dict[str, list[str]] = {"asset": [], "group": []}
    with_keys: list[Token] = []
    for index, token in enumerate(tokens):
        previous = tuple(t.type for t in tokens[max(index - 2, 0) : index])
        if token.type in NAMES and (not previous or previous[-1] not in VALUE_AFTER):
            # a bare name where an expression starts: the grammar wants `key:` before it
            with_keys += [_inserted(token, AssetSelectionLexer.KEY), _inserted(token, AssetSelectionLexer.COLON)]
            named["asset"].append(token.text.strip('"'))
        elif token.type in NAMES and previous in CHECKED:
            named[CHECKED[previous]].append(token.text.strip('"'))
        with_keys.append(token)
    parser = AssetSelectionParser(CommonTokenStream(ListTokenSource(with_keys)))
    parser.removeErrorListeners()
    parser.addErrorListener(_Raise())
    tree = parser.start()
    for what, names in named.items():
        _check_known(what, names, graph)
    with warnings.catch_warnings():
        # Dagster's visitor passes a beta parameter (`include_sources`): not the user's concern.
        warnings.filterwarnings("ignore", "Parameter `include_sources`", dg.BetaWarning)
        return AntlrAssetSelectionVisitor(include_sources=False).visit(tree)


def _tokens(text: str) -> list[Token]:
    """The lexer's tokens, its EOF last (the parser's token source must end with one)."""
    lexer = AssetSelectionLexer(InputStream(text))
    lexer.removeErrorListeners()  # the default one prints to stderr and goes on
    lexer.addErrorListener(_Raise())
    tokens = [lexer.nextToken()]
    while tokens[-1].type != Token.EOF:
        tokens.append(lexer.nextToken())
    return tokens


def _inserted(at: Token, kind: int) -> Token:
    """A token the user left out, with the text and place of `at`, so that a parse error names
    and points at what the user wrote."""
    token = at.clone()
    token.type = kind
    return token


def _check_known(what: str, names: Iterable[str], graph: BaseAssetGraph) -> None:
    """Each name (an asset key, `*` a wildcard, or a group) must match something in `graph`."""
    known = sorted(
        {key.to_user_string() if what == "asset" else graph.get(key).group_name for key in graph.get_all_asset_keys()}
    )
    unknown = [name for name in dict.fromkeys(names) if not _matches(what, name, graph)]
    if unknown:
        raise SelectionError("; ".join(f"no {what} {name!r}" + _suggestion(name, known) for name in unknown))


def _matches(what: str, name: str, graph: BaseAssetGraph) -> bool:
    selection = dg.AssetSelection.from_string(f'key:"{name}"') if what == "asset" else dg.AssetSelection.groups(name)
    return bool(selection.resolve(graph))


def _suggestion(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""
