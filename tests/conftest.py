"""Shared fixtures: real corpora on disk, real Dagster instances, real warehouses."""

from __future__ import annotations

import os
import signal
import tarfile
from pathlib import Path

import dagster as dg
import pytest

from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings
from quirky_corpus import build_quirky_corpus

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or a clean skip saying what is missing."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared data {path} is absent (CI provides ../shared beside the project)")
    return path


# Dagster maps SIGTERM to whatever handles SIGINT (dagster._utils.interrupts.setup_interrupt_handlers,
# on every in-process run). A test run started in the background has SIGINT ignored, so SIGTERM
# became ignored too, and an ignored signal is inherited across exec: the compute-log `tail -F`
# Dagster starts in a `pie run` subprocess then survived the SIGTERM that should stop it and held
# the run's output pipe open, and the tests reading that pipe waited out their timeouts. SIGINT
# gets Python's own handler here, as in an interactive run.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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
    return Settings(codenet_root=str(SAMPLE_CODENET_ROOT), warehouse=str(tmp_path / "warehouse"),
                    extra_tests=str(SAMPLE_EXTRA_TESTS))


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
