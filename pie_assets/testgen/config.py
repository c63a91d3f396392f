"""`[generated_tests]` of the simulator config, read once into a frozen value (not in the config
hash: see `runtime.config.UNHASHED_SECTIONS`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.test_sets import ORIGINS
from pie_assets.testgen.candidates import ORIGIN

# The runtime test sets that sum over generated tests whatever the problem (`auto` only falls back on them).
USING_GENERATED = tuple(name for name, origins in ORIGINS.items() if ORIGIN in origins)


@dataclass(frozen=True)
class GeneratedTestsSettings:
    enabled: bool = True
    seed: int = 0
    max_tests: int = 8
    min_consensus: int = 2
    max_programs: int = 16
    screen_programs: int = 2
    mutations_per_test: int = 6
    max_scale: int = 4096
    max_native_s: float = 0.01
    model: str = ""
    model_samples: int = 2
    model_scales: tuple[int, ...] = (1, 10, 100, 1000)

    @classmethod
    def from_config(cls, config: SimulatorConfig) -> GeneratedTestsSettings:
        """The section's values; an unknown key or a min_consensus below 2 is a ValueError naming the file."""
        section: dict[str, Any] = dict(config.section("generated_tests"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(
                f"simulator config {config.path}, [generated_tests]: unknown key(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        if "model_scales" in section:
            section["model_scales"] = tuple(int(s) for s in section["model_scales"])
        if config.test_set in USING_GENERATED:  # asking to sum over generated tests is asking for them
            section["enabled"] = True
        settings = cls(**section)
        if settings.min_consensus < 2:
            raise ValueError(f"simulator config {config.path}, [generated_tests] min_consensus must be at least 2")
        if not settings.min_consensus <= settings.screen_programs <= settings.max_programs:
            raise ValueError(
                f"simulator config {config.path}, [generated_tests]: screen_programs must lie between min_consensus "
                f"and max_programs ({settings.min_consensus} <= {settings.screen_programs} <= {settings.max_programs})"
            )
        return settings
