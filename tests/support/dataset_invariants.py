"""Invariants of the dataset models on a real run, recomputed in Python from the inputs rather
than trusted from the SQL (the sample e2e test calls this on its warehouse)."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import duckdb


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_dataset_invariants(
    con: duckdb.DuckDBPyConnection, min_improvement: float = 0.10, hq_max: int = 4
) -> dict[str, int]:
    """Every pair improves by more than the threshold, src before tgt, same user and problem, both
    correct; HQ is at most `hq_max` per problem and equals the top speedups; tiers are in 1..10
    and never rise with cost; splits are disjoint and cover every problem; fastest_human is the
    cheapest correct program. Returns the row count of each model."""
    correct = {
        r["submission_id"]: r
        for r in _dicts(
            con,
            """
        select s.submission_id, s.problem_id, s.user_id, s.submitted_at, r.agg_cost
        from submissions s join submission_runtimes r using (problem_id, submission_id)
        where s.status = 'Accepted' and r.all_pass""",
        )
    }
    pairs = _dicts(con, "select * from trajectory_pairs")
    assert pairs, "the sample has trajectories with faster later programs"
    for p in pairs:
        src, tgt = correct[p["src_id"]], correct[p["tgt_id"]]
        assert (
            src["user_id"] == tgt["user_id"] == p["user_id"]
            and src["problem_id"] == tgt["problem_id"] == p["problem_id"]
        )
        assert (src["submitted_at"], p["src_id"]) < (tgt["submitted_at"], p["tgt_id"])
        assert (src["agg_cost"] - tgt["agg_cost"]) / src["agg_cost"] > min_improvement
        assert abs(p["speedup"] - src["agg_cost"] / tgt["agg_cost"]) < 1e-9 * p["speedup"]
    # Every qualifying (i < j) pair is there, not only some.
    by_trajectory: dict[tuple, list[dict]] = defaultdict(list)
    for sid, row in correct.items():
        by_trajectory[(row["problem_id"], row["user_id"])].append({**row, "submission_id": sid})
    expected = set()
    for programs in by_trajectory.values():
        programs.sort(key=lambda r: (r["submitted_at"], r["submission_id"]))
        for i, a in enumerate(programs):
            for b in programs[i + 1 :]:
                if (a["agg_cost"] - b["agg_cost"]) / a["agg_cost"] > min_improvement:
                    expected.add((a["submission_id"], b["submission_id"]))
    assert {(p["src_id"], p["tgt_id"]) for p in pairs} == expected

    hq = _dicts(con, "select problem_id, src_id, tgt_id, speedup from hq_pairs")
    per_problem: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        per_problem[p["problem_id"]].append(p)
    for problem, rows in per_problem.items():
        top = sorted(rows, key=lambda p: (-p["speedup"], p["src_id"], p["tgt_id"]))[:hq_max]
        chosen = [h for h in hq if h["problem_id"] == problem]
        assert len(chosen) <= hq_max
        assert {(h["src_id"], h["tgt_id"]) for h in chosen} == {(p["src_id"], p["tgt_id"]) for p in top}

    tiers = _dicts(con, "select problem_id, submission_id, agg_cost, tier, reward from tier_labels")
    assert {t["submission_id"] for t in tiers} == set(correct)
    by_problem: dict[str, list[dict]] = defaultdict(list)
    for t in tiers:
        assert 1 <= t["tier"] <= 10 and 0 < t["reward"] <= 1
        by_problem[t["problem_id"]].append(t)
    for rows in by_problem.values():
        rows.sort(key=lambda t: t["agg_cost"])
        assert rows[0]["tier"] == 10
        assert all(a["tier"] >= b["tier"] for a, b in pairwise(rows))
        assert all(a["tier"] == b["tier"] for a, b in pairwise(rows) if a["agg_cost"] == b["agg_cost"])

    splits = _dicts(con, "select problem_id, split from problem_splits")
    problems = {r[0] for r in con.execute("select problem_id from problems").fetchall()}
    assert len({s["problem_id"] for s in splits}) == len(splits)  # disjoint: one split per problem
    assert {s["problem_id"] for s in splits} >= problems | {p["problem_id"] for p in pairs}  # covering
    assert {s["split"] for s in splits} <= {"train", "val", "test"}

    fastest = {r["problem_id"]: r for r in _dicts(con, "select * from fastest_human")}
    for problem, rows in by_problem.items():
        assert fastest[problem]["agg_cost"] == min(t["agg_cost"] for t in rows)
    return {
        name: con.execute(f'select count(*) from "{name}"').fetchone()[0]
        for name in ("trajectories", "trajectory_pairs", "hq_pairs", "tier_labels", "fastest_human", "problem_splits")
    }
