"""Training examples from the versioned export files, never from live views: a checkpoint is then
reproducible from the export version its manifest names.

- sft: pie_export's pairs (train.jsonl, or hq_train.jsonl), prompted with the evaluation's
  `instruction` strategy and answered with the target in one ```cpp block, the shape
  `extract.extract_program` reads back.
- sft-perf: perf_prompts_export's train.jsonl, prompt and completion as exported (PIE's
  performance-conditioned template with the target's tier).
- dpo: preference_export's `<set>/dpo.jsonl` (trl's prompt / chosen / rejected), one kind or both.
- rrtf: preference_export's `<set>/rrtf.jsonl` grouped by prompt: every response with its rank.

A preference set is `optimization` (prompts shaped like the evaluation's, the default) or
`codedpo` (the problem statement); the optimisation set's rows name the prompt strategy they were
built with, which the checkpoint is then evaluated with (`TrainingData.strategies`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from upath import UPath

from pie_assets.dataset.exports import MANIFEST_FILE, export_root, latest_export
from pie_assets.dataset.preference_rows import PREFERENCE_SETS, preference_file
from pie_assets.evaluation.prompts import fenced, strategy
from pie_assets.lake.storage import Warehouse

# synthetic: PIE's self-play pairs (pie_export's synthetic_train, from selfplay_pairs)
SFT_SUBSETS = {"all": "train.jsonl", "hq": "hq_train.jsonl", "synthetic": "synthetic_train.jsonl"}
PREFERENCE_KINDS = {
    "both": ("correctness", "efficiency"),
    "correctness": ("correctness",),
    "efficiency": ("efficiency",),
}


@dataclass(frozen=True)
class TrainingData:
    """The examples of one run and where they came from (the manifest's `data` entry)."""

    examples: list[dict[str, Any]]
    export: str
    version: str
    file: str
    rows: int  # rows of the file read; examples may be fewer (a kind filter) or grouped (rrtf)
    selection: str  # the subset or kind chosen
    strategies: tuple[str, ...] = ()  # the prompt strategies the examples were built with, when the rows name them

    def source(self) -> dict[str, Any]:
        return {
            "export": self.export,
            "version": self.version,
            "file": self.file,
            "rows": self.rows,
            "examples": len(self.examples),
            "selection": self.selection,
        }


def version_dir(warehouse: Warehouse, export: str, version: str | None) -> UPath:
    """`version`'s directory, or the one LATEST names; a version without its manifest is incomplete."""
    directory = export_root(warehouse, export) / version if version else latest_export(warehouse, export)
    if not (directory / MANIFEST_FILE).is_file():
        raise FileNotFoundError(f"export {export!r} has no complete version {directory.name!r} under {warehouse.root}")
    return directory


def read_jsonl(warehouse: Warehouse, export: str, file: str, version: str | None) -> tuple[str, list[dict[str, Any]]]:
    directory = version_dir(warehouse, export, version)
    path = directory / file
    if not path.is_file():
        raise FileNotFoundError(f"export {export!r} version {directory.name} has no {file}")
    return directory.name, [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _data(
    examples: list[dict[str, Any]],
    export: str,
    version: str,
    file: str,
    rows: int,
    selection: str,
    strategies: tuple[str, ...] = (),
) -> TrainingData:
    if not examples:
        raise ValueError(f"export {export!r} version {version} {file} ({selection}) holds no training examples")
    return TrainingData(examples, export, version, file, rows, selection, strategies)


def _preference_rows(
    warehouse: Warehouse, version: str | None, preference: str, method: str
) -> tuple[str, str, list[dict[str, Any]], tuple[str, ...]]:
    """The version, file and rows of a set's method file, and the prompt strategies its rows name."""
    if preference not in PREFERENCE_SETS:
        raise ValueError(f"unknown preference set {preference!r}; known: {', '.join(PREFERENCE_SETS)}")
    file = preference_file(preference, method)
    found, rows = read_jsonl(warehouse, "preference_export", file, version)
    return found, file, rows, tuple(sorted({r["prompt_template"] for r in rows if r.get("prompt_template")}))


def sft_data(warehouse: Warehouse, version: str | None, subset: str = "all") -> TrainingData:
    if subset not in SFT_SUBSETS:
        raise ValueError(f"unknown SFT subset {subset!r}; known: {', '.join(SFT_SUBSETS)}")
    file = SFT_SUBSETS[subset]
    found, rows = read_jsonl(warehouse, "pie_export", file, version)
    instruction = strategy("instruction")
    examples = [{"prompt": instruction.build(r["src_code"]), "completion": fenced(r["tgt_code"])} for r in rows]
    return _data(examples, "pie_export", found, file, len(rows), subset)


def perf_data(warehouse: Warehouse, version: str | None) -> TrainingData:
    found, rows = read_jsonl(warehouse, "perf_prompts_export", "train.jsonl", version)
    examples = [{"prompt": r["prompt"], "completion": r["completion"]} for r in rows]
    return _data(examples, "perf_prompts_export", found, "train.jsonl", len(rows), "train")


def dpo_data(
    warehouse: Warehouse, version: str | None, kind: str = "both", preference: str = PREFERENCE_SETS[0]
) -> TrainingData:
    if kind not in PREFERENCE_KINDS:
        raise ValueError(f"unknown preference kind {kind!r}; known: {', '.join(PREFERENCE_KINDS)}")
    found, file, rows, strategies = _preference_rows(warehouse, version, preference, "dpo")
    examples = [
        {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]}
        for r in rows
        if r["kind"] in PREFERENCE_KINDS[kind]
    ]
    return _data(examples, "preference_export", found, file, len(rows), kind, strategies)


def ranked_groups(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One example per (problem, prompt): its responses best first (rank, then the response's id:
    a codedpo row's submission_id, an optimization row's candidate_id), in the order the prompts
    first appear, so the same file gives the same batches."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["problem_id"], row["prompt"]), []).append(row)
    examples = []
    for (_, prompt), members in groups.items():
        members = sorted(members, key=lambda r: (r["rank"], r.get("candidate_id") or r["submission_id"]))
        examples.append(
            {
                "prompt": prompt,
                "responses": [r["response"] for r in members],
                "ranks": [int(r["rank"]) for r in members],
            }
        )
    return examples


def rrtf_data(warehouse: Warehouse, version: str | None, preference: str = PREFERENCE_SETS[0]) -> TrainingData:
    found, file, rows, strategies = _preference_rows(warehouse, version, preference, "rrtf")
    return _data(ranked_groups(rows), "preference_export", found, file, len(rows), "train", strategies)
