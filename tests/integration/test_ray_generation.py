"""Generation requests on a real local Ray cluster (`ray.init(num_cpus=2)` on 127.0.0.1), against a
real OpenAI-compatible HTTP server on 127.0.0.1 and the project's tiny local model: the samples,
the generation cache, an evaluation's tables and self-play's pairs equal the local engine's; a
worker killed mid-request doubles no sample; a generator travels as its recipe."""

from __future__ import annotations

import hashlib
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest
from support.json_http_server import serve_json
from support.ray_cluster import killing_one_worker

from pie_assets.evaluation.checkpoints import CheckpointSpec
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.generate import CACHE_KIND, generate_samples
from pie_assets.evaluation.openai_backend import OpenAIGenerator
from pie_assets.evaluation.pipeline import EvalInputs, generate_and_measure
from pie_assets.evaluation.sampling import GenerationRequest, SamplingSettings
from pie_assets.runtime.annotate import Annotator, runtime_cases
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.runtime.test_sets import select_tests
from pie_assets.training.selfplay import Seed, SelfPlaySettings, self_play

ray = pytest.importorskip("ray", reason="the Ray engine needs the cluster extra: pip install -e '.[cluster]'")

SETTINGS = SamplingSettings(n=2, temperature=0.7, max_new_tokens=32)
# The native run's peak RSS is a fact of the machine, not of the program (bench/peak_memory.py).
NOISE = ("peak_memory_kb", "src_peak_memory_kb")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def engine(monkeypatch, name: str) -> SimulatorConfig:
    monkeypatch.setenv("PIE_ENGINE", name)
    return SimulatorConfig.load()


@dataclass
class Endpoint:
    """An OpenAI-compatible completions endpoint whose answer is a function of the prompt and the
    choice's index (`texts`), so two engines can be compared; prompts with FAIL get a 500."""

    texts: Callable[[str, int], str] | None = None  # default: a digest of the prompt, and the index
    delay_s: float = 0.0
    calls: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
        try:
            time.sleep(self.delay_s)
            prompt = body["prompt"]
            if "FAIL" in prompt:
                return 500, {}, {"error": {"message": "always failing", "type": "server"}}
            texts = self.texts or (lambda p, i: f"{hashlib.sha256(p.encode()).hexdigest()[:8]}#{i}")
            choices = [
                {"index": i, "text": texts(prompt, i), "logprobs": None, "finish_reason": "stop"}
                for i in range(body["n"])
            ]
            return (
                200,
                {},
                {
                    "id": "cmpl-1",
                    "object": "text_completion",
                    "created": 1700000000,
                    "model": body["model"],
                    "choices": choices,
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def endpoint():
    fake = Endpoint()
    with serve_json(fake.answer) as url:
        fake.url = url
        yield fake


def generator(endpoint: Endpoint) -> OpenAIGenerator:
    return OpenAIGenerator(
        model="tiny", base_url=endpoint.url, api="completions", api_key_env="PIE_TEST_NO_KEY", max_retries=0
    )


def requests(count: int) -> list[GenerationRequest]:
    return [GenerationRequest(f"k{i}", f"prompt {i}", "int main(){}", "p1") for i in range(count)]


def cache_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted((root / CACHE_KIND).rglob("*.json"))}


def test_an_endpoints_samples_and_cache_through_ray_equal_the_local_engines(tmp_path, monkeypatch, local_ray, endpoint):
    asked = requests(5) + [
        GenerationRequest("same-prompt", "prompt 0", "", "p1"),
        GenerationRequest("bad", "FAIL always", "", "p1"),
    ]
    runs = {
        name: generate_samples(
            generator(endpoint), asked, SETTINGS, str(tmp_path / name), concurrency=2, engine=engine(monkeypatch, name)
        )
        for name in ("local", "ray")
    }
    assert runs["ray"].samples == runs["local"].samples
    assert runs["ray"].errors == runs["local"].errors
    assert list(runs["ray"].errors) == ["bad"] and runs["ray"].errors["bad"].startswith("InternalServerError: ")
    assert [len(runs["ray"].samples[r.key]) for r in asked] == [2] * 6 + [0]
    # The driver wrote the cache from the results: the same entries, one per (prompt, sample).
    assert cache_files(tmp_path / "ray") == cache_files(tmp_path / "local")
    assert len(cache_files(tmp_path / "ray")) == 5 * 2
    again = generate_samples(
        generator(endpoint), asked[:-1], SETTINGS, str(tmp_path / "ray"), engine=engine(monkeypatch, "ray")
    )
    assert all(s.cached for samples in again.samples.values() for s in samples)


def test_a_worker_killed_mid_request_doubles_no_sample(tmp_path, monkeypatch, local_ray, endpoint):
    asked = requests(4)
    local = generate_samples(generator(endpoint), asked, SETTINGS, str(tmp_path / "local"), concurrency=2)
    # The kill lands on a running task once a request is in flight; on a loaded machine that task
    # may not have sent its own request yet, so the scenario repeats until one was killed inside it.
    for attempt in range(3):
        endpoint.delay_s, endpoint.calls = 1.0, 0
        with killing_one_worker(ready=lambda: endpoint.in_flight > 0) as killed:
            result = generate_samples(
                generator(endpoint),
                asked,
                SETTINGS,
                str(tmp_path / f"ray{attempt}"),
                concurrency=2,
                engine=engine(monkeypatch, "ray"),
            )
        assert killed, "no worker was caught running a request"
        assert result.errors == {}
        assert result.samples == local.samples  # each request's samples once, indexes 0..n-1
        assert cache_files(tmp_path / f"ray{attempt}") == cache_files(tmp_path / "local")
        if endpoint.calls > len(asked):  # the killed task was inside its request: Ray ran it again
            break
    else:
        pytest.fail("in 3 attempts no worker was killed inside a request")


def test_a_generator_travels_as_its_recipe_and_is_built_once_per_process(tmp_path):
    pytest.importorskip("torch")
    from support.tiny_models import build_tiny_causal_lm

    from pie_assets.evaluation.transformers_backend import TransformersGenerator

    model = TransformersGenerator(str(build_tiny_causal_lm(tmp_path / "tiny")), device="cpu")
    model.generate(requests(1)[0], 1, SETTINGS)  # weights loaded: they must not travel
    data = pickle.dumps(model)
    assert len(data) < 2048
    first, second = pickle.loads(data), pickle.loads(data)
    assert first is second and first.identity == model.identity  # one load per worker process
    endpoint_generator = OpenAIGenerator(model="m", base_url="http://127.0.0.1:9/v1", api_key_env="PIE_TEST_NO_KEY")
    assert pickle.loads(pickle.dumps(endpoint_generator)).identity == endpoint_generator.identity


@pytest.mark.slow  # torch imported and the model loaded in each Ray worker
def test_a_local_models_samples_through_ray_equal_the_local_engines(tmp_path, monkeypatch, local_ray):
    pytest.importorskip("torch")
    from support.tiny_models import build_tiny_causal_lm

    from pie_assets.evaluation.transformers_backend import TransformersGenerator

    path = str(build_tiny_causal_lm(tmp_path / "tiny"))
    runs = {
        name: generate_samples(
            TransformersGenerator(path, device="cpu"),
            requests(3),
            SETTINGS,
            str(tmp_path / name),
            concurrency=2,
            engine=engine(monkeypatch, name),
        )
        for name in ("local", "ray")
    }
    assert runs["ray"].errors == {} and runs["ray"].samples == runs["local"].samples
    assert cache_files(tmp_path / "ray") == cache_files(tmp_path / "local")


# A hand-made problem: read n, print 1 + ... + n. `volatile` keeps g++ -O3 from folding the loops.
SLOW = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); volatile long long s = 0;
  for (long long i = 1; i <= n; i++) s = s + i; printf("%lld\\n", (long long)s); }
"""
SLOW_WHILE = """#include <cstdio>
int main() { long long n, i = 1; scanf("%lld", &n); volatile long long s = 0;
  while (i <= n) { s = s + i; i++; } printf("%lld\\n", (long long)s); }
"""
FAST = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); printf("%lld\\n", n * (n + 1) / 2); }
"""
WRONG = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); printf("%lld\\n", n * n); }
"""
ODD_LOOP = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); volatile long long s = 0;
  for (long long i = 1; i <= n; i += 2) s = s + i; printf("%lld\\n", (long long)s); }
"""
ODD_FORMULA = """#include <cstdio>
int main() { long long n; scanf("%lld", &n); long long m = (n + 1) / 2; printf("%lld\\n", m * m); }
"""
NS = (200_000, 100_001, 7)


def _tests() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "problem_id": "p1",
                "test_id": f"p1_extra_{i}",
                "origin": "extra_dir",
                "input": f"{n}\n",
                "expected_output": f"{n * (n + 1) // 2}\n",
                "input_sha256": hashlib.sha256(f"{n}\n".encode()).hexdigest(),
            }
            for i, n in enumerate(NS)
        ]
    )


def _fenced(code: str) -> str:
    return f"```cpp\n{code}```"


def test_an_evaluations_generations_and_their_measurement_through_ray_equal_the_local_engines(
    tmp_path, monkeypatch, local_ray, endpoint
):
    # The endpoint answers each prompt with its pair's fast program, then a wrong one.
    endpoint.texts = lambda prompt, i: _fenced(FAST if i == 0 else WRONG)
    pairs = pl.DataFrame(
        [
            {"problem_id": "p1", "src_id": src_id, "tgt_id": "t1", "src_code": code, "tgt_code": FAST}
            for src_id, code in (("s1", SLOW), ("s2", SLOW_WHILE))
        ]
    )
    config_file = tmp_path / "evaluation.toml"
    config_file.write_text(
        '[evaluation]\nstrategies = ["instruction"]\n[sampling]\nn = 2\nmax_new_tokens = 64\n'
        "[generation]\nconcurrency = 2\nmax_retries = 0\n"
    )
    spec = CheckpointSpec(
        "oracle",
        "openai",
        location=endpoint.url,
        model="oracle-1",
        api="completions",
        key_env="PIE_TEST_NO_KEY",
        version="1",
    )
    inputs = EvalInputs(pairs=pairs, tests={"p1": select_tests("pie", _tests())}, index=None)
    runs = {}
    for name in ("local", "ray"):
        cache = str(tmp_path / name)
        annotator = Annotator(engine(monkeypatch, name), cache, Sandbox())
        runs[name] = generate_and_measure(
            spec, EvaluationConfig.load(config_file), annotator, inputs, inputs_fingerprint="f", cache_root=cache
        )
    local, through_ray = runs["local"], runs["ray"]
    assert through_ray.errors == {} and through_ray.generations.height == 4
    assert through_ray.generations.equals(local.generations)
    assert through_ray.generation_runtimes.drop(NOISE).equals(local.generation_runtimes.drop(NOISE))
    assert sorted(through_ray.generation_runtimes["status"].to_list()) == ["OK", "OK", "WA", "WA"]
    assert cache_files(tmp_path / "ray") == cache_files(tmp_path / "local")


@pytest.mark.slow  # self-play's programs compiled, run and measured cold, once per engine
def test_self_plays_generations_and_measurement_through_ray_equal_the_local_engines(
    tmp_path, monkeypatch, local_ray, endpoint
):
    # New programs for the seed: a copy of it (no new behaviour) and the odd sum (new); the odd
    # sum's optimisation: its closed form.
    endpoint.texts = lambda prompt, i: _fenced(ODD_FORMULA if "i += 2" in prompt else (ODD_LOOP, FAST)[i % 2])
    seed = Seed("p1", "s-seed", FAST, "Given n, print 1 + 2 + ... + n.", tuple(runtime_cases(_tests())))
    settings = SelfPlaySettings(min_tests=3, new_programs=2, optimizations=1, min_speedup=2)
    runs = {}
    for name in ("local", "ray"):
        cache = str(tmp_path / name)
        annotator = Annotator(engine(monkeypatch, name), cache, Sandbox())
        runs[name] = self_play(
            [seed], generator(endpoint), "oracle", annotator, settings, cache_root=cache, concurrency=2
        )
    assert runs["ray"].errors == {} and runs["ray"].counts == runs["local"].counts
    assert runs["ray"].counts.kept_pairs == 1
    assert runs["ray"].pairs.equals(runs["local"].pairs)
