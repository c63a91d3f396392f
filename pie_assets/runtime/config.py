"""The simulator config (`pie_assets/simulator.toml`), its profiles and its content hash.

A profile is a named set of overrides in `[profiles.<name>]` (e.g. how programs are built), chosen
by `[measure] profile`, `$PIE_PROFILE` or `--profile`. The config in use is the file with its
profile applied; its hash covers those effective values only (not the name, not the other
profiles), so two profiles that measure alike share a hash and the default's hash is the file's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.test_sets import DEFAULT_TEST_SET, check_test_set
from pie_assets.versioned_config import VersionedConfig, config_file

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[1] / "simulator.toml"
PROFILES = "profiles"  # the file's table of named profiles
DEFAULT_PROFILE = "static"


def config_path() -> Path:
    return config_file("PIE_SIMULATOR_CONFIG", DEFAULT_CONFIG_PATH)


# Not what a runtime row measures: the profiles table (a profile counts through the values it sets)
# and the generated tests' settings (they count through the generated_tests table's data version).
UNHASHED_SECTIONS = (PROFILES, "generated_tests")
# Which tests a label sums over ([tests] runtime_set): in the config hash (a change re-simulates),
# but not in the key of a cached (binary, test) outcome, which the set does not change.
TESTS = "tests"


class SimulatorConfig(VersionedConfig):
    WHAT = "simulator"
    # Where programs run and how often a harness fault is retried, not what is measured; the
    # profile's name neither: what it changes is hashed through the values it sets.
    UNHASHED = {"measure": ("engine", "ray_address", "infra_attempts", "profile")}

    @classmethod
    def default_path(cls) -> Path:
        return config_path()

    @classmethod
    def content_hash(cls, values: dict[str, Any]) -> str:
        hashed = {name: section for name, section in values.items() if name not in UNHASHED_SECTIONS}
        return super().content_hash(hashed)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        profile: str | None = None,
        engine: str | None = None,
        test_set: str | None = None,
    ) -> SimulatorConfig:
        """The file with a profile applied: `profile`, else `$PIE_PROFILE`, else `[measure] profile`;
        where tasks run: `engine` (`pie run --engine`), else `$PIE_ENGINE`, else `[measure] engine`;
        and the runtime test set: `test_set` (`--test-set`), else `$PIE_TEST_SET`, else `[tests]
        runtime_set`, else auto (an unknown name is a ValueError naming the choices)."""
        base = super().load(path)
        name = profile or os.environ.get("PIE_PROFILE") or base.section("measure").get("profile") or DEFAULT_PROFILE
        profiles = base.section(PROFILES)
        if name != DEFAULT_PROFILE and name not in profiles:  # the default is the file as it is
            raise ValueError(
                f"simulator config {base.path}: unknown profile {name!r}; "
                f"known: {', '.join(sorted({DEFAULT_PROFILE, *profiles}))}"
            )
        measure = base.section("measure")
        where = engine or os.environ.get("PIE_ENGINE") or measure.get("engine", "local")
        values = {**base.values, "measure": {**measure, "profile": name, "engine": where}}
        for section, overrides in profiles.get(name, {}).items():
            values[section] = {**values.get(section, {}), **overrides}
        tests = values.get(TESTS, {})
        runtime_set = test_set or os.environ.get("PIE_TEST_SET") or tests.get("runtime_set") or DEFAULT_TEST_SET
        check_test_set(runtime_set, f"simulator config {base.path}, [tests] runtime_set")
        values[TESTS] = {**tests, "runtime_set": runtime_set}
        return cls(values=values, hash=cls.content_hash(values), path=base.path)

    @property
    def test_set(self) -> str:
        """The runtime test set (`pie_assets.runtime.test_sets`), as `load` chose it; `auto` is
        resolved per problem."""
        return self.section(TESTS).get("runtime_set", DEFAULT_TEST_SET)

    @property
    def outcome_hash(self) -> str:
        """The hash of what a (binary, test) outcome depends on: the config less the test set."""
        return self.content_hash({name: section for name, section in self.values.items() if name != TESTS})

    @property
    def profile(self) -> str:
        """The profile these values are (stored in every runtime row beside the hash)."""
        return self.section("measure")["profile"]

    @property
    def profiles(self) -> list[str]:
        return sorted({DEFAULT_PROFILE, *self.section(PROFILES)})

    def with_backend(self, backend: str) -> SimulatorConfig:
        """The same config measuring with another backend (its hash changes accordingly)."""
        return self.with_section("measure", backend=backend)

    def with_section(self, name: str, **values: Any) -> SimulatorConfig:
        """The same config with some keys of one section replaced (its hash changes accordingly)."""
        changed = {**self.values, name: {**self.section(name), **values}}
        return SimulatorConfig(values=changed, hash=self.content_hash(changed), path=self.path)

    @property
    def backend(self) -> str:
        return self.section("measure").get("backend", "cachegrind")

    @property
    def statuses(self) -> list[str]:
        return list(self.section("measure").get("statuses", ["Accepted"]))

    @property
    def workers(self) -> int:
        return int(self.section("measure").get("workers", 0)) or (os.cpu_count() or 1)

    @property
    def infra_attempts(self) -> int:
        """Runs and compiles of one program that end INFRA (the harness failed) are tried this often
        before the INFRA row is written (never cached, so the next run tries again)."""
        attempts = int(self.section("measure").get("infra_attempts", 3))
        if attempts < 1:
            raise ValueError(f"simulator config {self.path}: [measure] infra_attempts must be at least 1")
        return attempts

    @property
    def engine(self) -> str:
        """Where measurement tasks run: `local` (threads here) or `ray` (a Ray cluster), as `load` chose."""
        engine = self.section("measure").get("engine", "local")
        if engine not in ("local", "ray"):
            raise ValueError(f"simulator config {self.path}: [measure] engine must be local or ray, not {engine!r}")
        return engine

    @property
    def ray_address(self) -> str | None:
        """The cluster to join: `$RAY_ADDRESS`, else `[measure] ray_address`; none: a local Ray instance."""
        return os.environ.get("RAY_ADDRESS") or self.section("measure").get("ray_address") or None

    @property
    def float_tolerance(self) -> float:
        return float(self.section("judge").get("float_tolerance", 1e-3))

    def measure_budget(self) -> Budget:
        """The measured run's budget: the CPU limit (→ TLE) is the backend's, `[gem5] cpu_s` (PIE's
        120 s) for gem5, `[budget] measure_cpu_s` otherwise; the wall guard (→ INFRA) is
        `measure_wall_s` and must be longer, or a slow run would be INFRA before it could be TLE."""
        b = self.section("budget")
        cpu = float(self.section("gem5")["cpu_s"] if self.backend == "gem5" else b["measure_cpu_s"])
        wall = float(b["measure_wall_s"])
        if cpu >= wall:
            raise ValueError(
                f"simulator config {self.path}: the {self.backend} CPU budget ({cpu:g} s) must be "
                f"below the wall guard [budget] measure_wall_s ({wall:g} s)"
            )
        return Budget(
            instructions=int(b["instructions"]),
            wall_s=wall,
            cpu_s=cpu,
            memory_mb=int(b["measure_memory_mb"]),
            output_bytes=int(b["output_bytes"]),
        )

    def native_budget(self) -> Budget:
        b = self.section("budget")
        cpu = float(b["native_cpu_s"])
        return Budget(
            instructions=int(b["instructions"]),
            wall_s=cpu * 3 + 5,
            cpu_s=cpu,
            memory_mb=int(b["memory_mb"]),
            output_bytes=int(b["output_bytes"]),
        )
