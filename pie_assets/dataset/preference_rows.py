"""`preference_export`'s rows: two named preference sets, train split only (the other splits'
problems are what checkpoints are evaluated on), each a DPO file (trl's prompt / chosen /
rejected) and an RRTF file (per prompt, every ranked response, rank 1 best), JSONL and Parquet,
under `<set>/`:

- codedpo: CodeDPO-style, the prompt is the problem statement (`preference_pairs`,
  `rrtf_rankings`), the responses programs as they are.
- optimization: shaped like the evaluation's task (`optimization_preference_pairs`,
  `optimization_rrtf_rankings`): the prompt is the evaluation's prompt strategy named by the rows'
  `prompt_template`, built here by `prompts.strategy(...).build(src_code)`, the code the
  evaluation prompts with, so training and evaluation prompts cannot drift apart; the responses
  are in the answer shape that strategy asks for (`prompts.fenced`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from pie_assets.dataset.export_rows import runtime_info
from pie_assets.dataset.exports import ExportFile, jsonl_file, parquet_file
from pie_assets.evaluation.prompts import fenced, strategy

PREFERENCE_EXPORT_INPUTS = (
    "preference_pairs",
    "rrtf_rankings",
    "optimization_preference_pairs",
    "optimization_rrtf_rankings",
    "optimization_candidates",
    "candidate_programs",
    "problem_statements",
    "problem_splits",
    "submission_runtimes",
)
PREFERENCE_SETS = ("optimization", "codedpo")  # the first is what `pie train` reads by default
PREFERENCE_METHODS = ("dpo", "rrtf")


def preference_file(preference: str, method: str) -> str:
    """The JSONL file of a set's DPO or RRTF rows inside an export version."""
    return f"{preference}/{method}.jsonl"


_CODEDPO_SQL = {
    "dpo": """
select p.prompt, p.chosen, p.rejected, p.kind, p.problem_id, p.chosen_id, p.rejected_id
from preference_pairs p join problem_splits s using (problem_id)
where s.split = 'train'
order by p.problem_id, p.kind
""",
    "rrtf": """
select st.statement as prompt, c.code as response, r.rank, r.outcome_class, r.outcome_score, r.agg_cost,
       r.problem_id, r.submission_id
from rrtf_rankings r
join problem_splits s using (problem_id)
join problem_statements st using (problem_id)
join candidate_programs c on c.program_id = r.submission_id and c.problem_id = r.problem_id
where s.split = 'train'
order by r.problem_id, r.rank, r.submission_id
""",
}
_OPTIMIZATION_SQL = {
    "dpo": """
select p.prompt_template, p.src_code, p.chosen, p.rejected, p.kind, p.problem_id, p.src_id, p.chosen_id,
       p.rejected_id, p.chosen_source, p.rejected_source
from optimization_preference_pairs p join problem_splits s using (problem_id)
where s.split = 'train'
order by p.problem_id, p.src_id, p.draw
""",
    "rrtf": """
select r.prompt_template, c.src_code, c.code as response, r.rank, r.outcome_class, r.outcome_score, r.agg_cost,
       r.problem_id, r.src_id, r.candidate_id, r.source
from optimization_rrtf_rankings r
join problem_splits s using (problem_id)
join optimization_candidates c using (problem_id, src_id, candidate_id)
where s.split = 'train'
order by r.problem_id, r.src_id, r.rank, r.candidate_id
""",
}
_ANSWERS = {"dpo": ("chosen", "rejected"), "rrtf": ("response",)}


def _optimization_prompts(frame: pl.DataFrame) -> pl.DataFrame:
    """prompt from (prompt_template, src_code), each distinct pair built once; the answers fenced.
    A strategy that needs retrieved examples cannot prompt without them: a clear error."""
    built: dict[tuple[str, str], str] = {}
    for template, code in frame.select("prompt_template", "src_code").unique().iter_rows():
        chosen = strategy(template)
        if chosen.needs_examples:
            raise ValueError(
                f"optimization_prompt_template = {template!r} needs retrieved examples; "
                "set the dataset config's var to a strategy that takes none (e.g. instruction)"
            )
        built[(template, code)] = chosen.build(code)
    prompts = [built[key] for key in zip(frame["prompt_template"], frame["src_code"], strict=True)]
    return frame.with_columns(pl.Series("prompt", prompts, dtype=pl.Utf8)).select(
        "prompt", *(c for c in frame.columns if c != "src_code")
    )


def _strategy_versions(frames: list[pl.DataFrame]) -> dict[str, str]:
    names = sorted({name for frame in frames for name in frame["prompt_template"].unique().to_list()})
    return {name: strategy(name).version for name in names}


def preference_export_files(con: duckdb.DuckDBPyConnection) -> tuple[list[ExportFile], dict[str, Any]]:
    """Both sets' dpo and rrtf files of the train split, and what the manifest adds: the rows per
    file and the optimisation prompts' strategy and its version."""
    files: list[ExportFile] = []
    counts: dict[str, int] = {}
    optimization: list[pl.DataFrame] = []
    for preference, queries in (("codedpo", _CODEDPO_SQL), ("optimization", _OPTIMIZATION_SQL)):
        for method in PREFERENCE_METHODS:
            frame = con.execute(queries[method]).pl()
            if preference == "optimization":
                optimization.append(frame)
                frame = _optimization_prompts(frame).with_columns(
                    [
                        pl.Series(column, [fenced(code) for code in frame[column]], dtype=pl.Utf8)
                        for column in _ANSWERS[method]
                    ]
                )
            name = preference_file(preference, method)
            counts[name] = frame.height
            files += [jsonl_file(name, frame.to_dicts()), parquet_file(name.replace(".jsonl", ".parquet"), frame)]
    return files, {
        "runtime": runtime_info(con),
        "rows": counts,
        "sets": {
            "codedpo": "preference_pairs and rrtf_rankings; prompt = the problem statement",
            "optimization": "optimization_preference_pairs and optimization_rrtf_rankings; prompt = the "
            "evaluation's prompt strategy on the slow program, answers in one ```cpp block",
        },
        "prompt_strategies": _strategy_versions(optimization),
        "rules": "train split only",
    }
