"""The UI route as fast as the CLI (#27): `pie ui` (a real `dg dev`: webserver, daemon, sensors,
automation, run queue) on an empty warehouse and a cold runtime cache materialises the default
graph by itself up to `leaderboard` within twice the wall time of a cold `pie run` on the same
problems, measured in the same test, and both routes end with the same leaderboard. Two of the
sample's problems (p90006, the seeded test split, so checkpoints are evaluated; p90004) keep it to
minutes; `bench/ui_route.py` prints the figure on the whole sample."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_route

pytestmark = pytest.mark.slow

PROBLEMS = ["p90006", "p90004"]


def test_ui_route_reaches_the_leaderboard_within_twice_a_cold_pie_run(tmp_path: Path):
    cli, ui, same_leaderboard = ui_route.compare(tmp_path, PROBLEMS)
    assert cli.checkpoints, "the cold pie run evaluated no checkpoint"
    timeline = "\n".join(
        f"{r.origin} | {r.selection} | {r.status} | created {r.created_s:.1f} started {r.started_s} ended {r.ended_s}"
        for r in ui.runs
    )
    assert ui.to_leaderboard_s <= 2 * cli.wall_s, (
        f"pie ui reached leaderboard in {ui.to_leaderboard_s:.1f} s, a cold pie run took {cli.wall_s:.1f} s "
        f"({ui.to_leaderboard_s / cli.wall_s:.2f}x); the UI's runs:\n{timeline}"
    )
    assert same_leaderboard, "the two routes' leaderboards differ"
    assert ui_route.measured_leaderboard(tmp_path / "ui" / "wh"), "no measured row in the leaderboard"
