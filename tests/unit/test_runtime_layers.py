"""The executor/engine layer stays below what it runs: `runtime.engine` imports (directly, through
other modules, or under TYPE_CHECKING) neither the annotator, nor the sandbox, nor anything of the
evaluation, so a task reaches it only as a picklable callable."""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp", reason="the layer check reads imports with grimp: pip install -e '.[dev]'")

ENGINE = "pie_assets.runtime.engine"
ABOVE_THE_ENGINE = ("pie_assets.runtime.annotate", "pie_assets.runtime.sandbox", "pie_assets.evaluation")


def test_the_engine_knows_neither_the_annotator_nor_the_generator():
    graph = grimp.build_graph("pie_assets", cache_dir=None)
    reached = graph.find_upstream_modules(ENGINE)
    assert not [module for module in reached if module.startswith(ABOVE_THE_ENGINE)], sorted(reached)
    # and the other way round is how work reaches it
    assert graph.chain_exists(importer="pie_assets.runtime.annotate", imported=ENGINE)
    assert graph.chain_exists(importer="pie_assets.evaluation.generate", imported=ENGINE)
