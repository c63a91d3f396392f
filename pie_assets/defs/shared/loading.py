"""The `Settings` the domain folders are being built for.

`pie_assets.definitions.build_defs(settings)` loads `pie_assets.defs` with Dagster's autoloader
(`dg.ComponentTree`): each module's Dagster objects, or, for a module that has one, what its
`@dg.definitions` function returns. Dagster calls those functions with no argument (or a
`ComponentLoadContext`, which carries no project settings), so the few definitions that depend on
the settings (the ingestion readers' extra tests, the simulator config's hash, the dataset
config's vars, PIE's dataset directory) read the settings `build_defs` puts in effect here while
it loads. One load at a time per context: a ContextVar, so threads never see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pie_assets.dataset.config import DatasetConfig
from pie_assets.runtime.config import SimulatorConfig, config_path
from pie_assets.settings import DEFINITIONS_MODULE, Settings

_ACTIVE: ContextVar[Settings] = ContextVar("pie_definitions_settings")


@contextmanager
def building_for(settings: Settings) -> Iterator[None]:
    token = _ACTIVE.set(settings)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_settings() -> Settings:
    try:
        return _ACTIVE.get()
    except LookupError:
        raise RuntimeError(
            f"pie_assets.defs is built through {DEFINITIONS_MODULE}.build_defs(settings), which says which "
            f"settings to build for: load {DEFINITIONS_MODULE} (dg, dagster dev -w workspace.yaml, pie ui)"
        ) from None


def simulator_config_path(settings: Settings) -> str:
    """The simulator config the settings name, else the versioned one ($PIE_SIMULATOR_CONFIG)."""
    return settings.simulator_config or str(config_path())


def simulator_config(settings: Settings) -> SimulatorConfig:
    return SimulatorConfig.load(
        simulator_config_path(settings), settings.profile or None, test_set=settings.test_set or None
    )


def dataset_config(settings: Settings) -> DatasetConfig:
    """The dataset config, with `--eval-pairs` (this command's eval_pairs_from) applied."""
    config = DatasetConfig.load()
    return config.with_vars(eval_pairs_from=settings.eval_pairs) if settings.eval_pairs else config
