"""The UI route (#27): `pie ui` (a real `dg dev`: webserver, daemon, sensors, automation, run
queue) on an empty warehouse and a cold runtime cache materialises the default graph by itself up
to `leaderboard`, and ends with the same leaderboard as a cold `pie run` on the same problems. Two
of the sample's problems (p90006, the seeded test split, so checkpoints are evaluated; p90004) keep
it to minutes. It prints the UI's time as a multiple of the CLI's but does not bound it: on two
problems the daemon's fixed waits (the backfill daemon's 30 s loop, twice for each per-problem
stage) outweigh the work, so the ratio is 1.07x at load 5-7 and 2.89x at load 3-4 (CI, 2026-12-08)
for the same code; `bench/ui_route.py` prints the whole sample's figure (1.41x). #27 keeps the
≤ 2x target open until those waits are gone."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_route

pytestmark = pytest.mark.slow

PROBLEMS = ["p90006", "p90004"]


def test_ui_route_builds_the_leaderboard_of_a_cold_pie_run_by_itself(tmp_path: Path):
    cli, ui, same_leaderboard = ui_route.compare(tmp_path, PROBLEMS)
    assert cli.checkpoints, "the cold pie run evaluated no checkpoint"
    timeline = "\n".join(
        f"{r.origin} | {r.selection} | {r.status} | created {r.created_s:.1f} started {r.started_s} ended {r.ended_s}"
        for r in ui.runs
    )
    print(
        f"pie ui reached leaderboard in {ui.to_leaderboard_s:.1f} s, a cold pie run took {cli.wall_s:.1f} s "
        f"({ui.to_leaderboard_s / cli.wall_s:.2f}x); the UI's runs:\n{timeline}"
    )
    assert same_leaderboard, "the two routes' leaderboards differ"
    assert ui_route.measured_leaderboard(tmp_path / "ui" / "wh"), "no measured row in the leaderboard"
