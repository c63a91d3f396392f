"""Observable source assets: how the project tells Dagster that files it reads changed."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import dagster as dg


def observed_files(observe: Callable[..., Any], **spec: Any) -> dg.SourceAsset:
    """`dg.observable_source_asset(**spec)(observe)`. Observable sources are beta in Dagster 1.13
    but the one way to give files a data version, so their warning is silenced here, once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.observable_source_asset(**spec)(observe)
