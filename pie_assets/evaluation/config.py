"""The evaluation config (`pie_assets/evaluation.toml`): strategies, sampling, retrieval, fast mode
and the schedule. Its hash is in every evaluation row and in the inputs the nightly schedule
compares, so a changed value re-evaluates every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pie_assets.evaluation.bootstrap import Bootstrap
from pie_assets.evaluation.checkpoints import BASELINES, HUMAN_REFERENCES
from pie_assets.evaluation.prompts import strategy_names
from pie_assets.evaluation.sampling import SamplingSettings
from pie_assets.versioned_config import VersionedConfig, config_file

DEFAULT_EVALUATION_CONFIG = Path(__file__).resolve().parents[1] / "evaluation.toml"


def config_path() -> Path:
    return config_file("PIE_EVALUATION_CONFIG", DEFAULT_EVALUATION_CONFIG)


@dataclass(frozen=True)
class FastMode:
    """PIE's users asked for it: fewer pairs and tests, named in every row as mode = "fast"."""

    pairs_per_problem: int
    tests_per_problem: int


class EvaluationConfig(VersionedConfig):
    WHAT = "evaluation"

    @classmethod
    def default_path(cls) -> Path:
        return config_path()

    @property
    def strategies(self) -> tuple[str, ...]:
        return strategy_names(
            self.section("evaluation").get("strategies", ["instruction"]),
            f"evaluation config {self.path}, [evaluation] strategies",
        )

    @property
    def baselines(self) -> tuple[str, ...]:
        """The model-free baselines evaluated as checkpoints (all of them unless the file narrows it)."""
        return self._builtins("baselines", BASELINES)

    @property
    def human_references(self) -> tuple[str, ...]:
        """The human references evaluated as checkpoints (all of them unless the file narrows it)."""
        return self._builtins("human_references", HUMAN_REFERENCES)

    def _builtins(self, key: str, known: tuple[str, ...]) -> tuple[str, ...]:
        names = self.section("evaluation").get(key, list(known))
        unknown = [n for n in names if n not in known] if isinstance(names, list) else [names]
        if unknown:
            raise ValueError(
                f"evaluation config {self.path}, [evaluation] {key}: {', '.join(map(repr, unknown))} "
                f"is not one of {', '.join(known)}"
            )
        return tuple(dict.fromkeys(names))

    def sampling(self, n: int | None = None) -> SamplingSettings:
        s = self.section("sampling")
        settings = SamplingSettings(
            n=int(s.get("n", 8)),
            temperature=float(s.get("temperature", 0.7)),
            top_p=float(s.get("top_p", 1.0)),
            max_new_tokens=int(s.get("max_new_tokens", 1024)),
        )
        return replace(settings, n=n) if n else settings

    @property
    def concurrency(self) -> int:
        return int(self.section("generation").get("concurrency", 4))

    @property
    def max_retries(self) -> int:
        return int(self.section("generation").get("max_retries", 5))

    @property
    def timeout_s(self) -> float:
        return float(self.section("generation").get("timeout_s", 120))

    @property
    def retrieval(self) -> dict[str, Any]:
        return dict(self.section("retrieval"))

    @property
    def retrieval_k(self) -> int:
        return int(self.section("retrieval").get("k", 4))

    @property
    def fast(self) -> FastMode:
        f = self.section("fast")
        return FastMode(
            pairs_per_problem=int(f.get("pairs_per_problem", 1)), tests_per_problem=int(f.get("tests_per_problem", 2))
        )

    @property
    def intervals(self) -> Bootstrap:
        i = self.section("intervals")
        return Bootstrap(
            resamples=int(i.get("resamples", 2000)),
            seed=int(i.get("seed", 0)),
            confidence=float(i.get("confidence", 0.95)),
        )

    @property
    def cron(self) -> str:
        return str(self.section("schedule").get("cron", "0 3 * * *"))
