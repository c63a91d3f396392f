"""Parse gem5's text statistics (`m5out/stats.txt`) into the few numbers PIE measures.

Both naming schemes gem5 has used are read: the old one (`sim_seconds`, `sim_ticks`, `sim_freq`,
`host_seconds`, `sim_insts`; gem5 <= 20.x, which is what PIE's docker image ran) and the new one
(`simSeconds`, `simTicks`, `simFreq`, `hostSeconds`, `simInsts`; gem5 >= 21). Cycle counts are
`<object path>.numCycles` under whatever path the config gave the core (`system.cpu`,
`system.cpu0`, `board.processor.cores0.core`, ...), so no object path is hard-coded.

Decisions:

* Which block. A file holds one `Begin/End Simulation Statistics` block per stats dump. gem5
  always dumps once at exit (an `atexit` hook in `m5.simulate`), and a dump made earlier (an m5
  `dumpstats` op, a periodic dump, a config calling `m5.stats.dump()`) comes before it. We read
  the LAST complete block: it is the state at the end of the run (stats are cumulative unless the
  program resets them), and it is also what PIE's own harness effectively used (its
  `parse_stats_txt` in LearningOpt/pie `gem5/benchmarking.py` reads every line into one dict, so
  a later block overwrites an earlier one). A block without its `End` line (gem5 killed
  mid-dump) is ignored rather than trusted half-written.
* What is a scalar. A line `name value # description` with exactly one value. Vector and
  distribution entries (`name::bucket count pdf% cdf%`, or old `|`-separated bucket lists) carry
  several columns and are skipped; their single-valued summaries (`::total`, `::samples`,
  `::mean`) are kept. `nan` / `inf` are kept in `all_scalars` as floats, but never used as a
  required field.
* Cycles. `num_cycles` is the MAX over all `numCycles` entries, not the sum: it is then an
  elapsed cycle count consistent with `sim_seconds`, and does not grow with idle cores or with
  the switched-out half of a stdlib switchable processor (both of which report `numCycles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

BEGIN_MARK = "Begin Simulation Statistics"
END_MARK = "End Simulation Statistics"

# (new name, old name) for each top-level stat we read.
SIM_SECONDS = ("simSeconds", "sim_seconds")
SIM_TICKS = ("simTicks", "sim_ticks")
SIM_FREQ = ("simFreq", "sim_freq")
HOST_SECONDS = ("hostSeconds", "host_seconds")
SIM_INSTS = ("simInsts", "sim_insts")


@dataclass(frozen=True)
class Gem5Stats:
    """The numbers of one stats block. `runtime_seconds` is what PIE calls `sim_seconds_precise`."""

    sim_seconds: float | None
    sim_ticks: int | None
    sim_freq: int | None
    num_cycles: int | None
    sim_insts: int | None
    host_seconds: float | None
    blocks: int  # complete blocks in the file (the last one was read)
    all_scalars: dict[str, float] = field(default_factory=dict)

    @property
    def runtime_seconds(self) -> float:
        """ticks / freq when both are known: exact, where `sim_seconds` is rounded to 6 decimals
        (a 0.8 ms run printed as 0.000823 carries only 3 significant digits)."""
        if self.sim_ticks is not None and self.sim_freq is not None:
            return self.sim_ticks / self.sim_freq
        assert self.sim_seconds is not None  # parse_stats guarantees one of the two
        return self.sim_seconds


def _blocks(text: str) -> list[list[str]]:
    """The complete Begin..End blocks of a stats file, in file order."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if BEGIN_MARK in line:
            current = []
        elif END_MARK in line:
            if current is not None:
                blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _scalar_tokens(lines: list[str]) -> dict[str, str]:
    """name -> value token for every single-valued line that reads as a number."""
    tokens: dict[str, str] = {}
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) != 2:
            continue
        name, value = fields
        try:
            float(value)
        except ValueError:
            continue
        tokens[name] = value
    return tokens


def _finite(token: str | None) -> float | None:
    if token is None:
        return None
    value = float(token)
    return value if math.isfinite(value) else None


def _integer(token: str | None) -> int | None:
    """Ticks and counts are printed as integers; int() keeps them exact past 2**53."""
    if token is None or _finite(token) is None:
        return None
    try:
        return int(token)
    except ValueError:
        return int(float(token))


def _first(tokens: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in tokens:
            return tokens[name]
    return None


def parse_stats(text: str) -> Gem5Stats:
    """Parse a gem5 stats.txt; raises ValueError naming what is missing."""
    blocks = _blocks(text)
    if not blocks:
        raise ValueError(f"no complete '{BEGIN_MARK}' ... '{END_MARK}' block in the stats file")
    tokens = _scalar_tokens(blocks[-1])
    cycles = [
        v
        for name, tok in tokens.items()
        if (name == "numCycles" or name.endswith(".numCycles")) and (v := _integer(tok)) is not None
    ]
    stats = Gem5Stats(
        sim_seconds=_finite(_first(tokens, SIM_SECONDS)),
        sim_ticks=_integer(_first(tokens, SIM_TICKS)),
        sim_freq=_integer(_first(tokens, SIM_FREQ)) or None,  # a zero frequency is no frequency
        num_cycles=max(cycles) if cycles else None,
        sim_insts=_integer(_first(tokens, SIM_INSTS)),
        host_seconds=_finite(_first(tokens, HOST_SECONDS)),
        blocks=len(blocks),
        all_scalars={name: float(tok) for name, tok in tokens.items()},
    )
    if (stats.sim_ticks is None or stats.sim_freq is None) and stats.sim_seconds is None:
        missing = [
            f"{new}/{old}"
            for (new, old), value in (
                (SIM_TICKS, stats.sim_ticks),
                (SIM_FREQ, stats.sim_freq),
                (SIM_SECONDS, stats.sim_seconds),
            )
            if value is None
        ]
        raise ValueError(
            "gem5 stats give no simulated time: need simTicks and simFreq, or simSeconds "
            f"(old names sim_ticks, sim_freq, sim_seconds); missing or non-finite: {', '.join(missing)}"
        )
    return stats
