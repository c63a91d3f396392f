"""Training examples from the versioned export files, never from live views: a checkpoint is then
reproducible from the export version its manifest names.

- sft: pie_export's pairs (train.jsonl, or hq_train.jsonl), prompted with the evaluation's
  `instruction` strategy and answered with the target in one ```cpp block, the shape
  `extract.extract_program` reads back.
- sft-perf: perf_prompts_export's train.jsonl, prompt and completion as exported (PIE's
  performance-conditioned template with the target's tier).
- dpo: preference_export's dpo.jsonl (trl's prompt / chosen / rejected), one kind or both.
- rrtf: preference_export's rrtf.jsonl grouped by prompt: every response with its rank.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from upath import UPath

from pie_assets.dataset.exports import MANIFEST_FILE, export_root, latest_export
from pie_assets.evaluation.prompts import strategy
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
    examples: list[dict[str, Any]], export: str, version: str, file: str, rows: int, selection: str
) -> TrainingData:
    if not examples:
        raise ValueError(f"export {export!r} version {version} {file} ({selection}) holds no training examples")
    return TrainingData(examples, export, version, file, rows, selection)


def fenced(code: str) -> str:
    """The answer shape the evaluation's prompts ask for: the program in one ```cpp block."""
    return "```cpp\n" + code + ("" if code.endswith("\n") else "\n") + "```"


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


def dpo_data(warehouse: Warehouse, version: str | None, kind: str = "both") -> TrainingData:
    if kind not in PREFERENCE_KINDS:
        raise ValueError(f"unknown preference kind {kind!r}; known: {', '.join(PREFERENCE_KINDS)}")
    found, rows = read_jsonl(warehouse, "preference_export", "dpo.jsonl", version)
    examples = [
        {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]}
        for r in rows
        if r["kind"] in PREFERENCE_KINDS[kind]
    ]
    return _data(examples, "preference_export", found, "dpo.jsonl", len(rows), kind)


def ranked_groups(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One example per (problem, prompt): its responses best first (rank, then submission id),
    in the order the prompts first appear, so the same file gives the same batches."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["problem_id"], row["prompt"]), []).append(row)
    examples = []
    for (_, prompt), members in groups.items():
        members = sorted(members, key=lambda r: (r["rank"], r["submission_id"]))
        examples.append(
            {
                "prompt": prompt,
                "responses": [r["response"] for r in members],
                "ranks": [int(r["rank"]) for r in members],
            }
        )
    return examples


def rrtf_data(warehouse: Warehouse, version: str | None) -> TrainingData:
    found, rows = read_jsonl(warehouse, "preference_export", "rrtf.jsonl", version)
    return _data(ranked_groups(rows), "preference_export", found, "rrtf.jsonl", len(rows), "train")
