"""Evaluation plots as PNG bytes: the per-pair speedup distribution, %OPT / SPEEDUP against k, and
this project's runtime labels against PIE's; intervals as error bars.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot: no display, no global figure
state shared between threads of a run). PNGs are saved without the `Software` text chunk, so the
same input gives the same bytes: a re-materialised asset whose numbers did not change writes an
identical file. `plots_markdown` inlines PNGs as Markdown: Dagster's UI draws Markdown with
images inline in a description (an asset's, an event's), while a Markdown metadata value over
1,000 characters (any plot) hides behind "[Show Markdown]".

matplotlib is imported where a figure is drawn, not with this module: the evaluation definitions
import it, and every `pie` command that loads the definitions (a warm `pie run` with nothing to
do) would pay its ~0.4 s import.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pie_assets.evaluation.metrics import PIE_OPT_THRESHOLD
from pie_assets.lake.storage import atomic_local_target

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_SIZE = (8.0, 4.5)
_DPI = 100
_BINS = 30
_LOG_SPREAD = 10.0  # max / min speedup from which the x axis is logarithmic


def _figure(ncols: int = 1) -> tuple[Figure, list]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def speedup_distribution_png(per_pair: pl.DataFrame, title: str) -> bytes:
    """Histogram of the pairs' Best@k speedups (`best_at_k` rows), with PIE's %OPT threshold."""
    values = per_pair["speedup"].drop_nulls().drop_nans().to_numpy()
    values = values[np.isfinite(values)]
    fig, (ax,) = _figure()
    low, high = (float(values.min()), float(values.max())) if values.size else (1.0, 1.0)
    if low > 0 and high / low >= _LOG_SPREAD:
        ax.hist(values, bins=np.geomspace(low, high, _BINS + 1), color="tab:blue")
        ax.set_xscale("log")
    else:
        ax.hist(values, bins=_BINS, color="tab:blue")
    ax.axvline(PIE_OPT_THRESHOLD, color="tab:red", linestyle="--", label=f"%OPT threshold ({PIE_OPT_THRESHOLD:.2f}x)")
    ks = per_pair["k"].unique().to_list() if "k" in per_pair.columns else []
    at_k = f"@{ks[0]}" if len(ks) == 1 else "@k"
    ax.set_xlabel(f"speedup{at_k} per pair (src / best generation, 1.0 = no gain)")
    ax.set_ylabel("pairs")
    ax.set_title(title)
    ax.legend()
    return _png(fig)


def _error_bars(rows: pl.DataFrame, metric: str) -> np.ndarray | None:
    """matplotlib's (2, n) distances below and above each point of `metric`'s interval; None
    without intervals. A percentile interval need not contain its point: the bar then stops at it."""
    low, high = f"{metric}_low", f"{metric}_high"
    if low not in rows.columns or rows[low].null_count() == rows.height:
        return None
    bounds = rows.select(
        (pl.col(metric) - pl.col(low)).clip(lower_bound=0.0).fill_null(0.0),
        (pl.col(high) - pl.col(metric)).clip(lower_bound=0.0).fill_null(0.0),
    )
    return bounds.to_numpy().T


def topk_png(evaluations: pl.DataFrame, title: str) -> bytes:
    """%OPT and SPEEDUP against k (`evaluate` rows), one line per `strategy` when there is one,
    with the 95% intervals as error bars when the rows carry them."""
    fig, (opt_ax, speedup_ax) = _figure(ncols=2)
    if "strategy" in evaluations.columns:
        groups = [
            (str(name), rows)
            for (name,), rows in evaluations.sort("strategy", "k").group_by("strategy", maintain_order=True)
        ]
    else:
        groups = [("", evaluations.sort("k"))]
    for name, rows in groups:
        for ax, metric in ((opt_ax, "pct_opt"), (speedup_ax, "speedup")):
            ax.errorbar(
                rows["k"].to_list(),
                rows[metric].to_list(),
                yerr=_error_bars(rows, metric),
                marker="o",
                capsize=3,
                label=name,
            )
    for ax, label in ((opt_ax, "%OPT (speedup >= 1.10), %"), (speedup_ax, "SPEEDUP (mean over pairs)")):
        ax.set_xlabel("k (Best@k)")
        ax.set_ylabel(label)
        ax.set_xticks(sorted(evaluations["k"].unique().to_list()))
        ax.grid(alpha=0.3)
        if groups and groups[0][0] is not None:
            ax.legend()
    opt_ax.set_ylim(-2, 102)  # a share: its whole range, so 0 % reads as 0, not as a flat middle line
    speedup_ax.set_ylim(bottom=0)
    fig.suptitle(title)
    return _png(fig)


def agreement_png(measured: pl.DataFrame, title: str) -> bytes:
    """This project's labels against PIE's on PIE's programs (`pie_agreement.measured_pairs` rows):
    each program's agg cost here against PIE's agg runtime, and each pair's speedup here against
    PIE's, both on log axes, with PIE's %OPT threshold drawn on the second."""
    fig, (cost_ax, speedup_ax) = _figure(ncols=2)
    for side, color in (("src", "tab:blue"), ("tgt", "tab:orange")):
        cost_ax.scatter(
            measured[f"{side}_agg_runtime"].to_list(),
            measured[f"{side}_agg_cost"].to_list(),
            s=12,
            alpha=0.6,
            color=color,
            label=f"{side} programs",
        )
    speedup_ax.scatter(measured["speedup_pie"].to_list(), measured["speedup_here"].to_list(), s=12, alpha=0.6)
    for line in (speedup_ax.axvline, speedup_ax.axhline):
        line(PIE_OPT_THRESHOLD, color="tab:red", linestyle="--", linewidth=1)
    cost_ax.set_xlabel("PIE agg runtime (gem5, s)")
    cost_ax.set_ylabel("agg cost here")
    speedup_ax.set_xlabel("speedup in PIE's labels (src / tgt)")
    speedup_ax.set_ylabel("speedup here")
    for ax in (cost_ax, speedup_ax):
        if measured.height:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    if measured.height:
        cost_ax.legend()
    fig.suptitle(title)
    return _png(fig)


def write_png(data: bytes, path: str) -> str:
    """Written by temp file + rename (the lake's one atomic write): a reader never sees half a PNG."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_local_target(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
    return path


def markdown_image(data: bytes, alt: str) -> str:
    """An inline Markdown image (base64 data URI)."""
    safe_alt = alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")
    return f"![{safe_alt}](data:image/png;base64,{base64.b64encode(data).decode('ascii')})"


def plots_markdown(plots: Mapping[str, bytes]) -> str:
    """Each PNG under its title, as inline Markdown images."""
    return "\n\n".join(f"**{title}**\n\n{markdown_image(png, title)}" for title, png in plots.items())
