"""mkdocs hook (`hooks:` in mkdocs.yml): writes the Reference pages at build time from the code itself
(the Dagster definitions' column schemas and descriptions, the `pie` CLI's argparse parser, the
versioned config files) and the changelog from CHANGELOG.md, so the docs cannot drift from what
runs. Nothing generated is committed.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import dagster as dg
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
# The order groups appear in, upstream first; a group not named here follows, by name.
GROUP_ORDER = ("codenet", "runtime", "sql_models", "dataset", "evaluation", "training")
# What each versioned config file under pie_assets/ holds, and the variable that points a process at
# another copy; a config file not named here is still included, by its name alone.
CONFIG_FILES = {
    "simulator.toml": ("$PIE_SIMULATOR_CONFIG", "how programs are compiled, judged and measured; profiles"),
    "dataset.toml": ("$PIE_DATASET_CONFIG", "the SQL models' vars: filters, splits, HQ, CodeDPO"),
    "evaluation.toml": ("$PIE_EVALUATION_CONFIG", "strategies, sampling, generation, retrieval, fast mode, schedule"),
    "training.toml": ("$PIE_TRAINING_CONFIG", "hyperparameters per method, the tiny base, self-play"),
}


def _cell(text: str | None) -> str:
    """One Markdown table cell: one line, pipes escaped, and outside `code` spans the characters
    Markdown would read as HTML or emphasis (`<dir>`, `*.jsonl`)."""
    parts = " ".join((text or "").split()).replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")
    return "`".join(parts)


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> str:
    if partitions_def is None:
        return "not partitioned"
    if isinstance(partitions_def, dg.MultiPartitionsDefinition):
        return " × ".join(f"`{dim.name}`" for dim in partitions_def.partitions_defs) + " (multi-partitioned)"
    if isinstance(partitions_def, dg.DynamicPartitionsDefinition):
        return f"per key of the dynamic partitions `{partitions_def.name}`"
    return type(partitions_def).__name__


def _column_schema(metadata: Mapping[str, object]) -> dg.TableSchema | None:
    schema = metadata.get("dagster/column_schema")
    if isinstance(schema, dg.TableSchemaMetadataValue):
        return schema.schema
    return schema if isinstance(schema, dg.TableSchema) else None


@functools.cache
def _definitions() -> dg.Definitions:
    from pie_assets.code_location import build_defs
    from pie_assets.settings import Settings

    return build_defs(Settings.resolve())


def _group_rank(group: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(group), "") if group in GROUP_ORDER else (len(GROUP_ORDER), group)


def tables_page() -> str:
    """Every asset of the code location: description, partitions, storage, checks and columns."""
    defs = _definitions()
    specs = sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string())
    checks: dict[dg.AssetKey, list[dg.AssetCheckSpec]] = {}
    graph = defs.resolve_asset_graph()
    for check_key in graph.asset_check_keys:
        checks.setdefault(check_key.asset_key, []).append(graph.get_check_spec(check_key))
    lines = [
        "# Tables",
        "",
        "Generated from the Dagster definitions (`pie_assets.code_location.build_defs`) at each docs build:",
        "the same column schemas and descriptions the UI shows, which come from one table registry for",
        "the Python assets and from the SQL models' YAML (`sql/*.yml`). Every table is a view of",
        '`warehouse/pie.duckdb` (`pie sql "select * from <table>"`); assets without columns write files.',
        "",
    ]
    for group in sorted({s.group_name or "default" for s in specs}, key=_group_rank):
        lines += [f"## Group `{group}`", ""]
        for spec in specs:
            if (spec.group_name or "default") == group:
                lines += _asset_section(spec, checks.get(spec.key, []))
    return "\n".join(lines)


def _asset_section(spec: dg.AssetSpec, checks: list[dg.AssetCheckSpec]) -> list[str]:
    name = spec.key.to_user_string()
    facts = [f"partitions: {_partitions(spec.partitions_def)}"]
    if "materialized" in spec.metadata:
        facts.append(f"SQL model (`sql/{name}.sql`), materialized as a {spec.metadata['materialized']}")
    facts.append("kinds: " + ", ".join(sorted(spec.kinds)))
    if spec.automation_condition is not None:
        facts.append("refreshed by declarative automation")
    upstream = sorted(dep.asset_key.to_user_string() for dep in spec.deps)
    if upstream:
        facts.append("reads " + ", ".join(f"`{u}`" for u in upstream))
    if checks:
        named = (f"`{c.name}`" + (" (blocking)" if c.blocking else "") for c in sorted(checks, key=lambda c: c.name))
        facts.append("checks: " + ", ".join(named))
    lines = [f"### `{name}`", "", _cell(spec.description), "", *(f"- {fact}" for fact in facts), ""]
    schema = _column_schema(spec.metadata)
    if schema is not None:
        lines += ["| column | type | description |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {_cell(c.type)} | {_cell(c.description)} |" for c in schema.columns]
        lines.append("")
    return lines


def _option_names(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.dest}`"
    names = ", ".join(f"`{o}`" for o in action.option_strings)
    return names + (f" `{action.metavar or action.dest.upper()}`" if action.nargs != 0 else "")


def _option_rows(parser: argparse.ArgumentParser, leave_out: frozenset[str] = frozenset()) -> Iterator[str]:
    """A table row per argument, but --help, the subcommands and the options named in `leave_out`."""
    for action in parser._actions:  # argparse has no public accessor for a parser's arguments
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction) or leave_out & set(
            action.option_strings
        ):
            continue
        extra = []
        if action.choices is not None and not isinstance(action.choices, dict):
            extra.append("choices: " + ", ".join(f"`{c}`" for c in action.choices))
        if action.required:
            extra.append("required")
        elif action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
            extra.append(f"default: `{action.default}`")
        help_text = _cell(action.help) + (f" ({'; '.join(extra)})" if extra else "")
        yield f"| {_option_names(action)} | {help_text} |"


def cli_page() -> str:
    """Every `pie` subcommand: its description, usage and options, from `pie_assets.cli.build_parser`."""
    from pie_assets.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    global_options = frozenset(o for a in parser._actions for o in a.option_strings if o not in ("-h", "--help"))
    lines = [
        "# `pie` command line",
        "",
        "Generated from the CLI's argparse parser (`pie_assets/cli.py`) at each docs build; `pie COMMAND --help`",
        "prints the same. " + _cell(parser.description),
        "",
        "Global options, before or after the command (every command takes them):",
        "",
        "| option | meaning |",
        "|---|---|",
        *_option_rows(parser),
        "",
    ]
    for name, command in sub.choices.items():
        usage = command.format_usage().removeprefix("usage: ").strip()
        lines += [f"## `pie {name}`", "", _cell(command.description), "", "```", usage, "```", ""]
        lines += ["| argument | meaning |", "|---|---|", *_option_rows(command, global_options), ""]
    return "\n".join(lines)


def config_page() -> str:
    """Every versioned config file under pie_assets/, verbatim with its comments."""
    lines = [
        "# Configuration files",
        "",
        "The versioned config files under `pie_assets/`, included verbatim at each docs build. Each one's",
        "content hash is recorded with what it produced (a changed value makes the assets it feeds stale in",
        "Dagster; comments do not count). An environment variable points a process at another copy.",
        "",
    ]
    for path in sorted((ROOT / "pie_assets").glob("*.toml")):
        lines += [f"## `{path.name}`", ""]
        if path.name in CONFIG_FILES:
            variable, what = CONFIG_FILES[path.name]
            lines += [f"{what.capitalize()}. Override: `{variable}`.", ""]
        lines += ["```toml", path.read_text(encoding="utf-8").rstrip(), "```", ""]
    return "\n".join(lines)


def automation_page() -> str:
    """Sensors, schedules and jobs of the code location with their descriptions."""
    defs = _definitions()
    lines = ["# Sensors, schedules and jobs", "", "Generated from the Dagster definitions at each docs build.", ""]
    lines += ["| sensor | on by default | what it does |", "|---|---|---|"]
    for sensor in defs.sensors or ():
        running = sensor.default_status == dg.DefaultSensorStatus.RUNNING
        lines.append(f"| `{sensor.name}` | {'yes' if running else 'no'} | {_cell(sensor.description)} |")
    lines += ["", "| schedule | cron | what it does |", "|---|---|---|"]
    for schedule in defs.schedules or ():
        lines.append(f"| `{schedule.name}` | `{schedule.cron_schedule}` | {_cell(schedule.description)} |")
    lines += ["", "| job | what it does |", "|---|---|"]
    for job in defs.jobs or ():
        lines.append(f"| `{job.name}` | {_cell(job.description) or '—'} |")
    return "\n".join(lines) + "\n"


def _pages() -> Iterable[tuple[str, str]]:
    yield "reference/tables.md", tables_page()
    yield "reference/automation.md", automation_page()
    yield "reference/cli.md", cli_page()
    yield "reference/config.md", config_page()
    # CHANGELOG.md links into docs/ from the repository root; the site serves it beside those pages.
    yield "changelog.md", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").replace("](docs/", "](")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, content in _pages():
        files.append(File.generated(config, uri, content=content))
    return files
