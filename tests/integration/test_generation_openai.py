"""OpenAIGenerator and generate_samples against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from support.json_http_server import serve_json

from pie_assets.evaluation.generate import GenerationError, Sample, generate_samples
from pie_assets.evaluation.openai_backend import OpenAIGenerator
from pie_assets.evaluation.sampling import Completion, GenerationRequest, SamplingSettings


@dataclass
class FakeServer:
    """Scripted failures first (status codes), then answers: choice texts number the choices the
    server has made, listed in reverse index order to check the client-side sort. Prompts with
    FAIL always get a 500. `max_choices` caps n, like servers that ignore it."""

    failures: list[int] = field(default_factory=list)
    max_choices: int | None = None
    requests: list[tuple[str, dict, dict]] = field(default_factory=list)
    made: int = 0
    delay_s: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.delay_s)
        try:
            return self._answer(path, body, headers)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.requests.append((path, body, headers))
            if self.failures:
                status = self.failures.pop(0)
                return status, {"Retry-After": "0"}, {"error": {"message": f"scripted {status}", "type": "server"}}
            prompt = body["prompt"] if path == "/v1/completions" else body["messages"][-1]["content"]
            if "FAIL" in prompt:
                return 500, {}, {"error": {"message": "always failing", "type": "server"}}
            count = min(body.get("n", 1), self.max_choices or body.get("n", 1))
            first, self.made = self.made, self.made + count
        finish = "length" if body["max_tokens"] < 8 else "stop"
        choices = []
        for index in range(count):
            text = f"{prompt[:8]}#{first + index}"
            choice = (
                {"index": index, "text": text, "logprobs": None, "finish_reason": finish}
                if path == "/v1/completions"
                else {"index": index, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            )
            choices.append(choice)
        return (
            200,
            {},
            {
                "id": f"cmpl-{first}",
                "object": "text_completion" if path == "/v1/completions" else "chat.completion",
                "created": 1700000000,
                "model": body["model"],
                "choices": choices[::-1],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3 * count, "total_tokens": 5 + 3 * count},
            },
        )


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    with serve_json(fake.answer) as url:
        fake.url = url
        yield fake


def request(key: str, prompt: str) -> GenerationRequest:
    return GenerationRequest(key=key, prompt=prompt, src_code="int main(){}", problem_id="p00000")


def test_chat_retries_429_then_500_and_sends_the_sampling_settings(server, monkeypatch) -> None:
    monkeypatch.delenv("PIE_TEST_KEY", raising=False)
    server.failures = [429, 500]
    generator = OpenAIGenerator(
        model="tiny-chat", base_url=server.url, api_key_env="PIE_TEST_KEY", system_prompt="You optimize C++."
    )
    settings = SamplingSettings(n=3, temperature=0.7, max_new_tokens=256, top_p=0.95)
    start = time.monotonic()
    completions = generator.generate(request("a", "optimize this"), 3, settings)
    elapsed = time.monotonic() - start

    assert completions == [Completion(f"optimize#{i}", "stop") for i in range(3)]
    assert len(server.requests) == 3
    # Retry-After 0 falls back to the client's backoff: 0.5 s then 1 s, each jittered down to 75%.
    assert 0.375 + 0.75 <= elapsed < 5
    for path, body, headers in server.requests:
        assert path == "/v1/chat/completions"
        assert headers["authorization"] == "Bearer EMPTY"
        assert body["model"] == "tiny-chat"
        assert (body["n"], body["temperature"], body["top_p"], body["max_tokens"]) == (3, 0.7, 0.95, 256)
        assert body["messages"] == [
            {"role": "system", "content": "You optimize C++."},
            {"role": "user", "content": "optimize this"},
        ]
    assert [h["x-stainless-retry-count"] for _, _, h in server.requests] == ["0", "1", "2"]


def test_identity_names_model_endpoint_and_system_prompt_never_the_key(server, monkeypatch) -> None:
    monkeypatch.setenv("PIE_TEST_KEY", "sk-secret")
    plain = OpenAIGenerator(model="m", base_url=server.url, api_key_env="PIE_TEST_KEY", api="completions")
    assert plain.identity == f"openai-completions:m@{server.url}"
    with_system = OpenAIGenerator(model="m", base_url=server.url, api_key_env="PIE_TEST_KEY", system_prompt="S")
    assert with_system.identity.startswith(f"openai-chat:m@{server.url}#system=")
    assert "sk-secret" not in plain.identity + with_system.identity + plain.name
    plain.generate(request("a", "prompt"), 1, SamplingSettings())
    assert server.requests[0][2]["authorization"] == "Bearer sk-secret"


def test_completions_api_and_a_server_that_ignores_n(server) -> None:
    server.max_choices = 1
    generator = OpenAIGenerator(model="tiny", base_url=server.url, api="completions")
    completions = generator.generate(request("a", "### Program:\n"), 3, SamplingSettings(max_new_tokens=4))
    assert completions == [Completion(f"### Prog#{i}", "length") for i in range(3)]
    assert [(path, body["prompt"], body["n"]) for path, body, _ in server.requests] == [
        ("/v1/completions", "### Program:\n", 3),
        ("/v1/completions", "### Program:\n", 2),
        ("/v1/completions", "### Program:\n", 1),
    ]


def test_generate_samples_caches_every_sample(server, tmp_path) -> None:
    generator = OpenAIGenerator(model="tiny", base_url=server.url, api="completions")
    requests = [request("s1|t1", "first prompt"), request("s2|t2", "second prompt"), request("s1|t9", "first prompt")]
    cache = str(tmp_path / "cache")
    done: list[int] = []

    result = generate_samples(generator, requests, SamplingSettings(n=2), cache, concurrency=2, on_done=done.append)
    assert result.errors == {}
    assert len(server.requests) == 2  # one call per distinct prompt
    assert sorted(done) == [2, 2, 2]
    assert [(s.request_key, s.sample_index, s.cached) for s in result.samples["s1|t1"]] == [
        ("s1|t1", 0, False),
        ("s1|t1", 1, False),
    ]
    # The two requests with the same prompt share its samples; which prompt the server saw first varies.
    assert [s.text for s in result.samples["s1|t9"]] == [s.text for s in result.samples["s1|t1"]]
    assert sorted(s.text for key in ("s1|t1", "s2|t2") for s in result.samples[key]) in (
        ["first pr#0", "first pr#1", "second p#2", "second p#3"],
        ["first pr#2", "first pr#3", "second p#0", "second p#1"],
    )
    texts = {key: [s.text for s in samples] for key, samples in result.samples.items()}

    again = generate_samples(generator, requests, SamplingSettings(n=2), cache)
    assert len(server.requests) == 2  # a re-run queries nothing
    assert {key: [s.text for s in samples] for key, samples in again.samples.items()} == texts
    assert all(s.cached for samples in again.samples.values() for s in samples)

    more = generate_samples(generator, requests, SamplingSettings(n=5), cache)
    assert [body["n"] for _, body, _ in server.requests[2:]] == [3, 3]  # only the missing samples
    grown = more.samples["s2|t2"]
    assert [s.sample_index for s in grown] == [0, 1, 2, 3, 4]
    assert [s.text for s in grown[:2]] == texts["s2|t2"]
    assert [s.cached for s in grown] == [True, True, False, False, False]
    assert len({s.text for s in grown}) == 5

    other_settings = generate_samples(generator, requests[:1], SamplingSettings(n=1, temperature=0.2), cache)
    assert len(server.requests) == 5  # the temperature is part of the cache key
    assert other_settings.samples["s1|t1"][0].cached is False

    uncached = generate_samples(generator, requests[:1], SamplingSettings(n=1), None)
    assert len(server.requests) == 6 and uncached.samples["s1|t1"][0].cached is False


def test_a_failing_request_does_not_cost_the_others_their_samples(server, tmp_path) -> None:
    generator = OpenAIGenerator(model="tiny", base_url=server.url, max_retries=1)
    requests = [request("good", "fine prompt"), request("bad", "FAIL always"), request("good2", "also fine")]
    cache = str(tmp_path / "cache")
    result = generate_samples(generator, requests, SamplingSettings(n=2), cache)

    assert list(result.samples) == ["good", "bad", "good2"]
    assert result.samples["bad"] == []
    assert [len(result.samples[key]) for key in ("good", "good2")] == [2, 2]
    assert list(result.errors) == ["bad"]
    assert result.errors["bad"].startswith("InternalServerError: ")
    assert "always failing" in result.errors["bad"]
    failing_calls = [body for _, body, _ in server.requests if body["messages"][-1]["content"] == "FAIL always"]
    assert len(failing_calls) == 2  # one try and max_retries=1 retry
    with pytest.raises(GenerationError, match=r"^1 of 3 generation requests failed; first: bad: InternalServerError"):
        result.raise_for_errors()

    seen = len(server.requests)
    rerun = generate_samples(generator, requests, SamplingSettings(n=2), cache)
    assert len(server.requests) == seen + 2  # the successes were cached; only the failure is asked again
    assert list(rerun.errors) == ["bad"]


def test_at_most_concurrency_requests_in_flight(server) -> None:
    server.delay_s = 0.1
    generator = OpenAIGenerator(model="tiny", base_url=server.url)
    requests = [request(f"k{i}", f"prompt {i}") for i in range(6)]
    done: list[int] = []
    result = generate_samples(generator, requests, SamplingSettings(n=1), None, concurrency=2, on_done=done.append)
    assert result.errors == {} and done == [1] * 6
    assert len(server.requests) == 6 and server.max_in_flight == 2


class SourceEcho:
    """A model-free baseline: the slow program itself, the same every time, not worth caching."""

    name = identity = "echo"
    cacheable = False
    task_cpus = 0.0

    def generate(self, request: GenerationRequest, n: int, settings: SamplingSettings) -> list[Completion]:
        return [Completion(request.src_code, None)] * n


def test_a_generator_that_is_not_cacheable_writes_no_cache(tmp_path) -> None:
    requests = [request("a", "p"), request("b", "p")]
    for _ in range(2):
        result = generate_samples(SourceEcho(), requests, SamplingSettings(n=2), str(tmp_path / "cache"))
        assert result.samples["b"] == [
            Sample("b", 0, "int main(){}", None, False),
            Sample("b", 1, "int main(){}", None, False),
        ]
    assert not (tmp_path / "cache").exists()
    with pytest.raises(ValueError, match="unique"):
        generate_samples(SourceEcho(), [request("a", "p"), request("a", "q")], SamplingSettings(), None)
