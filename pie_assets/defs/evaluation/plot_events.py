"""Plots where Dagster's UI draws them, not behind "[Show Markdown]".

The UI renders Markdown images inline in an event's description (the asset's Events tab), but a
Markdown metadata value only up to 1,000 characters, which no PNG fits; and neither
`MaterializeResult` nor an IO-managed `Output` carries a description. So an asset's plots are an
`AssetObservation` recorded right after its materialisation, its description the plots, and the
materialisation links to it with a short Markdown value the Overview shows inline.
"""

from collections.abc import Mapping
from urllib.parse import urlencode

import dagster as dg

from pie_assets.evaluation.plots import plots_markdown

PLOTS_LINK = "plots"


def plots_observation(asset: str, plots: Mapping[str, bytes], partition: str | None = None) -> dg.AssetObservation:
    """The plots as an observation of `asset` (its `partition`): the Events tab draws them."""
    return dg.AssetObservation(asset_key=asset, partition=partition, description=plots_markdown(plots))


def plots_link(asset: str, plots: Mapping[str, bytes], partition: str | None = None) -> dict[str, dg.MetadataValue]:
    """Materialisation metadata: a link to the Events tab, which opens on the observation."""
    query = urlencode({"view": "events", **({"partition": partition} if partition else {})})
    count = f"{len(plots)} plot{'' if len(plots) == 1 else 's'}"
    return {PLOTS_LINK: dg.MetadataValue.md(f"[{count}, in the Events tab](/assets/{asset}?{query})")}
