"""What the training group's lake table is: `selfplay_pairs`' description, columns' descriptions, schema."""

from __future__ import annotations

from pie_assets.defs.shared.tables import TableDoc
from pie_assets.training.selfplay import SELFPLAY_SCHEMA

TRAINING_TABLES: dict[str, TableDoc] = {
    "selfplay_pairs": TableDoc(
        "PIE's self-play pairs: generated programs with a behaviour no known program has, and their "
        "generated optimisations at least min_speedup times cheaper by the simulator (synthetic = true). "
        "Refreshed automatically after its inputs change when [selfplay] generator names a model.",
        SELFPLAY_SCHEMA,
        {
            "problem_id": "the problem whose input format the programs read (a train-split problem)",
            "group_id": "<problem>:<k>: the k-th behaviour group (programs whose outputs agree on every test)",
            "src_id": "generation id of the group's representative, the slow program",
            "tgt_id": "generation id of its optimised version",
            "src_code": "the slow program",
            "tgt_code": "the optimised program",
            "src_agg_cost": "the slow program's summed cost on the tests (the simulator's backend)",
            "tgt_agg_cost": "the optimised program's summed cost on the same tests",
            "speedup": "src_agg_cost / tgt_agg_cost (at least min_speedup)",
            "generator": "the checkpoint that generated both programs",
            "synthetic": "always true: the programs are generated, not CodeNet submissions",
        },
    ),
}
