"""Where the data comes from and goes to, resolved once from the environment.

The CLI, the Dagster definitions (UI, daemon) and the tests all build from a `Settings`, so a
user who sets `PIE_CODENET` / `PIE_WAREHOUSE` sees the same lake from every entry point.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_CODENET_ROOT = PACKAGE_DIR / "sample_corpus" / "Project_CodeNet"
SAMPLE_EXTRA_TESTS = PACKAGE_DIR / "sample_corpus" / "pie_tests"
# One code location name for `pie ui`, workspace.yaml and `dg` (pyproject.toml): Dagster keys
# sensor cursors and schedules by it, so a second name would start them over.
CODE_LOCATION = "pie_assets"
# `--codenet none` / `PIE_CODENET=none`: no CodeNet tree; problems come from PIE's release alone.
NO_CODENET = "none"
DEFINITIONS_MODULE = "pie_assets.definitions"


def user_cache_root() -> str:
    """The cache when nothing names one (no `$PIE_CACHE`, no local warehouse): per user."""
    return os.path.expanduser("~/.cache/pie-lakehouse")


@dataclass(frozen=True)
class Settings:
    """codenet_root: a Project_CodeNet directory, None for none (PIE's release alone); warehouse:
    a local dir or an fsspec URL."""

    codenet_root: str | None
    warehouse: str
    extra_tests: str | None
    simulator_config: str = ""  # "" = $PIE_SIMULATOR_CONFIG or the versioned pie_assets/simulator.toml
    cache_dir: str = ""  # "" = $PIE_CACHE, else <warehouse>/_cache (local) or ~/.cache/pie-lakehouse
    pie_dataset: str | None = None  # PIE's released *.jsonl files (the `pie_pairs` source)
    checkpoints_dir: str = ""  # "" = $PIE_CHECKPOINTS, else <warehouse>/checkpoints
    models_file: str = ""  # "" = $PIE_MODELS_FILE, else <warehouse>/models.toml (OpenAI-compatible endpoints)
    engine: str = ""  # where tasks run (`--engine`); "" = $PIE_ENGINE, else the simulator config's [measure] engine
    profile: str = ""  # simulator profile; "" = $PIE_PROFILE, else the simulator config's [measure] profile
    test_set: str = ""  # runtime test set (`--test-set`); "" = $PIE_TEST_SET, else the simulator config's [tests]
    eval_pairs: str | None = None  # overrides the dataset config's var eval_pairs_from ("lake" | "pie")

    def resolved_cache_dir(self) -> str:
        """Compiled binaries and measurements: content-addressed, safe to share between runs."""
        if self.cache_dir or os.environ.get("PIE_CACHE"):
            return self.cache_dir or os.environ["PIE_CACHE"]
        local = self._local_warehouse()
        return os.path.join(local, "_cache") if local else user_cache_root()

    def _local_warehouse(self) -> str | None:
        if "://" in self.warehouse and not self.warehouse.startswith("file://"):
            return None
        return self.warehouse.removeprefix("file://")

    def _beside_warehouse(self, explicit: str, env_var: str, name: str) -> str:
        """An explicit value, else the variable, else `<warehouse>/<name>` (a local warehouse) or
        `~/.cache/pie-lakehouse/<name>` (an object-store one: models and indexes are local files)."""
        if explicit or os.environ.get(env_var):
            return explicit or os.environ[env_var]
        local = self._local_warehouse()
        return os.path.join(local, name) if local else os.path.join(user_cache_root(), name)

    def resolved_checkpoints_dir(self) -> str:
        """Model and adapter directories the checkpoint sensor registers and evaluates."""
        return self._beside_warehouse(self.checkpoints_dir, "PIE_CHECKPOINTS", "checkpoints")

    def resolved_models_file(self) -> str:
        """The TOML list of OpenAI-compatible endpoints to evaluate."""
        return self._beside_warehouse(self.models_file, "PIE_MODELS_FILE", "models.toml")

    def resolved_reports_dir(self) -> str:
        """Plots of the evaluations (PNG)."""
        return self._beside_warehouse("", "PIE_REPORTS", "reports")

    def resolved_index_dir(self) -> str:
        """The retrieval index (FAISS needs a local file)."""
        return self._beside_warehouse("", "PIE_RETRIEVAL_INDEX", "_retrieval")

    def environment(self) -> dict[str, str]:
        """The PIE_* variables from which `resolve` gives these settings back in another process
        (`pie ui`'s Dagster webserver and daemon load the definitions themselves)."""
        values = {
            "PIE_CODENET": self.codenet_root or NO_CODENET,
            "PIE_WAREHOUSE": self.warehouse,
            "PIE_EXTRA_TESTS": self.extra_tests or "",
            "PIE_DATASET": self.pie_dataset or "",
            "PIE_PROFILE": self.profile,
            "PIE_ENGINE": self.engine,
            "PIE_TEST_SET": self.test_set,
        }
        return {name: value for name, value in values.items() if value}

    @classmethod
    def resolve(
        cls,
        codenet_root: str | None = None,
        warehouse: str | None = None,
        extra_tests: str | None = None,
        pie_dataset: str | None = None,
        profile: str | None = None,
        eval_pairs: str | None = None,
        engine: str | None = None,
        test_set: str | None = None,
    ) -> Settings:
        """Explicit values win, then PIE_* environment variables, then the embedded sample;
        a CodeNet root of `none` means no CodeNet tree."""
        root = codenet_root or os.environ.get("PIE_CODENET") or str(SAMPLE_CODENET_ROOT)
        wh = warehouse or os.environ.get("PIE_WAREHOUSE") or "warehouse"
        extra = extra_tests if extra_tests is not None else os.environ.get("PIE_EXTRA_TESTS")
        no_codenet = root.lower() == NO_CODENET
        if extra is None and not no_codenet and Path(root).resolve() == SAMPLE_CODENET_ROOT:
            extra = str(SAMPLE_EXTRA_TESTS)
        if "://" not in wh:
            wh = str(Path(wh).resolve())
        dataset = pie_dataset or os.environ.get("PIE_DATASET")
        return cls(
            codenet_root=None if no_codenet else str(Path(root).resolve()),
            warehouse=wh,
            extra_tests=extra or None,
            pie_dataset=str(Path(dataset).resolve()) if dataset else None,
            eval_pairs=eval_pairs,
            profile=profile or "",
            engine=engine or "",
            test_set=test_set or "",
        )
