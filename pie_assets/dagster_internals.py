"""The private Dagster APIs this project uses, in one place: each may change in a Dagster patch
release, so a Dagster upgrade starts by importing this module. Nothing else imports `dagster._`
(ruff's banned-api rule TID251, configured in pyproject.toml, keeps it so).
The comment above each import says why it is needed: Dagster 1.13 has no public equivalent.
"""

from __future__ import annotations

# What is stale: `pie run` asks Dagster's own resolver (what the UI's "Unsynced" shows) which
# partitions to materialise; an AssetGraphView is the loading context it needs outside a workspace.
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext

# `--select`: Dagster's own selection grammar (lexer, parser, visitor), so a selection with bare
# asset names parses the way Dagster parses it (pie_assets.selection).
from dagster._core.definitions.antlr_asset_selection.antlr_asset_selection import AntlrAssetSelectionVisitor
from dagster._core.definitions.antlr_asset_selection.generated.AssetSelectionLexer import AssetSelectionLexer
from dagster._core.definitions.antlr_asset_selection.generated.AssetSelectionParser import AssetSelectionParser

# Asset graphs, as the type of what `Definitions.resolve_asset_graph()` returns (`pie run`'s stage
# order and `--select`'s checks read a graph).
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

# Data versions and provenance: a partition written outside an IO manager (one event per
# partition, pie_assets.defs.shared.partition_batches) carries the tags Dagster's own outputs
# carry, so staleness in the UI is true; and an input's recorded data version is read back.
from dagster._core.definitions.data_version import (
    CODE_VERSION_TAG,
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
    DEFAULT_DATA_VERSION,
    NULL_EVENT_POINTER,
    CachingStaleStatusResolver,
    extract_data_version_from_entry,
    get_input_data_version_tag,
    get_input_event_pointer_tag,
)

# A partition of an asset, as the stale resolver's methods take it (`pie_assets.staleness`).
from dagster._core.definitions.events import AssetKeyPartitionKey

# Dagster's one-clause selection form (`a`, `+a`, `*a+`), kept with its meaning by `--select`.
from dagster._core.selector.subset_selector import parse_clause

# The run tags of a ranged (many-partition) run: the sensors and `pie run` request such runs.
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

# Topological levels of the stages, in Dagster's order (`pie run`).
from dagster._core.utils import toposort

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "CODE_VERSION_TAG",
    "DATA_VERSION_IS_USER_PROVIDED_TAG",
    "DATA_VERSION_TAG",
    "DEFAULT_DATA_VERSION",
    "NULL_EVENT_POINTER",
    "AntlrAssetSelectionVisitor",
    "AssetGraph",
    "AssetGraphView",
    "AssetKeyPartitionKey",
    "AssetSelectionLexer",
    "AssetSelectionParser",
    "BaseAssetGraph",
    "CachingStaleStatusResolver",
    "TemporalContext",
    "extract_data_version_from_entry",
    "get_input_data_version_tag",
    "get_input_event_pointer_tag",
    "parse_clause",
    "toposort",
]
