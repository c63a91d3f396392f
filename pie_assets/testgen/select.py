"""Sized to stress: which agreed inputs a problem keeps.

Up to `max_tests` inputs whose cost (the accepted programs' median native CPU time) spreads over
orders of magnitude, weighted to the costly end: target k of n sits at the fraction (k/(n-1))^2
of the log distance from the costliest agreed input down to the cheapest (8 targets over two
orders of magnitude: 1, 0.9, 0.7, 0.45, 0.23, 0.1, 0.03, 0.01 of the top), each taken by the
nearest input in log cost not yet taken, the costliest target first and, at equal distance, the
costlier input. So the largest affordable input is always kept, most tests cost far more than
start-up (what a label should measure), and a few still cover the range down to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# CPU time below this is noise of the clock: costs are floored here before taking logs.
MIN_COST_S = 1e-4


def select(costs: Sequence[float], max_tests: int) -> list[int]:
    """Indices into `costs` of the kept inputs, in ascending index order."""
    n = min(max_tests, len(costs))
    if n <= 0:
        return []
    logs = [math.log(max(cost, MIN_COST_S)) for cost in costs]
    low, high = min(logs), max(logs)
    targets = [high - (high - low) * (k / (n - 1)) ** 2 for k in range(n)] if n > 1 else [high]
    free = set(range(len(costs)))
    for target in targets:
        best = min(free, key=lambda i: (abs(logs[i] - target), -logs[i], i))
        free.remove(best)
    return sorted(set(range(len(costs))) - free)
