"""Shared fixtures: real corpora on disk, real Dagster instances, real warehouses."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import dagster as dg
import pytest
from quirky_corpus import build_quirky_corpus

from pie_assets.interrupts import restore_interrupts
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or a clean skip saying what is missing."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared data {path} is absent (CI provides ../shared beside the project)")
    return path


# A test run started in the background has SIGINT ignored; Dagster's in-process runs would then
# leave SIGTERM ignored, inherited by every `pie run` subprocess and its compute-log tails
# (pie_assets/interrupts.py says why). The same fix as the CLI's.
restore_interrupts()


# The files whose tests take longest (minutes each on 2 cores), first in this order, then the
# other files holding slow tests, then the rest: under pytest-xdist, which hands a worker the next
# file when it runs dry (`--dist loadfile --no-loadscope-reorder`), no worker then idles at the end
# while another still runs a long test.
LONGEST_FILES = ("test_runtime_sample.py", "test_wild_corpus.py", "test_evaluation_loop.py", "test_ray_engine.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow_files = {item.path.name for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.path.name
        if name in LONGEST_FILES:
            return 0, LONGEST_FILES.index(name)
        return (1 if name in slow_files else 2), 0

    items.sort(key=rank)  # stable: each file keeps its own order


@pytest.fixture(scope="session")
def problem_pages(tmp_path_factory) -> Path:
    """The 3,999 real CodeNet problem pages, extracted once per session."""
    archive = shared_file("codenet_problem_descriptions.tar.gz")
    target = tmp_path_factory.mktemp("pages")
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "problem_descriptions"


@pytest.fixture
def quirky(tmp_path) -> tuple[Path, Path]:
    return build_quirky_corpus(tmp_path / "corpus")


@pytest.fixture
def quirky_settings(quirky, tmp_path) -> Settings:
    root, extra = quirky
    return Settings(codenet_root=str(root), warehouse=str(tmp_path / "warehouse"), extra_tests=str(extra))


@pytest.fixture
def sample_settings(tmp_path) -> Settings:
    return Settings(
        codenet_root=str(SAMPLE_CODENET_ROOT),
        warehouse=str(tmp_path / "warehouse"),
        extra_tests=str(SAMPLE_EXTRA_TESTS),
    )


@pytest.fixture
def instance(tmp_path):
    """A real, sqlite-backed Dagster instance in a temp DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as inst:
        yield inst
    if old is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = old
