"""Model-written test generators end to end: a models-file checkpoint served by a real OpenAI-
compatible HTTP server on 127.0.0.1 answers with generator programs, which are compiled by real
g++ and run in the real bubblewrap sandbox with a scale and a seed."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from support.json_http_server import serve_json
from support.sandboxes import CountingSandbox

from pie_assets.evaluation.checkpoints import resolve
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.generators import make_generator
from pie_assets.evaluation.openai_backend import OpenAIGenerator
from pie_assets.runtime.annotate import Annotator
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.testgen.candidates import TrialOutcome
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.model_source import MAX_INPUT_BYTES, model_candidates

PROBLEM = "p02000"
STATEMENT = "Given N integers a_i (1 <= N <= 100000, 0 <= a_i < 1000), print their sum."
SAMPLES = ["3\n1 2 3\n", "1\n7\n"]
SCALES = [1, 10, 100]

# Sized by scale: N = 10 * scale numbers, from a seeded generator.
GOOD = r"""
#include <cstdio>
#include <cstdlib>
#include <random>
int main(int argc, char **argv) {
    long long n = 10 * std::atoll(argv[1]);
    if (n > 100000) n = 100000;
    std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
    std::printf("%lld\n", n);
    for (long long i = 0; i < n; i++)
        std::printf("%llu%c", (unsigned long long)(rng() % 1000), i + 1 == n ? '\n' : ' ');
}
"""
LOOP = "int main() { volatile unsigned long x = 0; for (;;) x++; }\n"
HUGE = r"""
#include <cstdio>
int main() { for (;;) std::puts("1 2 3 4 5 6 7 8 9"); }
"""
CLOCKED = r"""
#include <chrono>
#include <cstdio>
int main() { std::printf("1\n%lld\n", (long long)std::chrono::steady_clock::now().time_since_epoch().count()); }
"""
# Writes outside its work dir, then prints an input only if the write got through.
WRITER = r"""
#include <cstdio>
#include <cstdlib>
int main() {
    FILE *f = std::fopen("%(path)s", "w");
    if (!f) { std::perror("fopen"); return 3; }
    std::fputs("escaped", f);
    std::fclose(f);
    std::puts("1\n5");
}
"""
# Connects to a listener on the host's loopback, then prints an input only if it got through.
CONNECTOR = r"""
#include <arpa/inet.h>
#include <cstdio>
#include <sys/socket.h>
int main() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(%(port)d);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(s, (sockaddr *)&a, sizeof a) != 0) { std::perror("connect"); return 4; }
    std::puts("1\n5");
}
"""


def fenced(code: str) -> str:
    return f"Here is a generator.\n\n```cpp\n{code.strip()}\n```\n\nRun it as `./gen S SEED`."


@dataclass
class ModelServer:
    """An OpenAI-compatible chat endpoint answering choice i with `responses[i]`."""

    responses: list[str] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.requests.append(body)
        assert path == "/v1/chat/completions"
        choices = [
            {"index": i, "message": {"role": "assistant", "content": self.responses[i]}, "finish_reason": "stop"}
            for i in range(body["n"])
        ]
        payload = {"id": "c", "object": "chat.completion", "created": 1, "model": body["model"], "choices": choices}
        return 200, {}, payload


@pytest.fixture
def server() -> Iterator[ModelServer]:
    fake = ModelServer()
    with serve_json(fake.answer) as fake.url:
        yield fake


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def simulator_config(tmp_path: Path) -> SimulatorConfig:
    """The default config naming the models-file checkpoint, with a 1 s native CPU budget."""
    text = DEFAULT_CONFIG_PATH.read_text()
    text = text.replace('\nmodel = ""', '\nmodel = "fake-generator"', 1)
    text = text.replace("\nmodel_scales = [1, 10, 100, 1000]", f"\nmodel_scales = {SCALES}", 1)
    text = text.replace("\nnative_cpu_s = 10 ", "\nnative_cpu_s = 1 ", 1)
    path = tmp_path / "simulator.toml"
    path.write_text(text)
    return SimulatorConfig.load(path)


def run(tmp_path: Path, server: ModelServer, sandbox: Sandbox, *responses: str):
    """`model_candidates` as the asset calls it: settings from the config, the checkpoint from the models file."""
    server.responses = list(responses)
    models = tmp_path / "models.toml"
    models.write_text(f'[[model]]\nname = "fake-generator"\nbase_url = "{server.url}"\nmodel = "tiny-coder"\n')
    config = simulator_config(tmp_path)
    settings = GeneratedTestsSettings.from_config(config)
    settings = replace(settings, model_samples=len(responses))
    spec = resolve(settings.model, str(tmp_path / "checkpoints"), str(models))
    generator = make_generator(spec, EvaluationConfig.load())
    annotator = Annotator(config, str(tmp_path / "cache"), sandbox)
    return model_candidates(PROBLEM, STATEMENT, SAMPLES, settings, annotator, generator), generator


def test_a_generator_gives_one_candidate_per_scale_sized_by_scale(tmp_path, server, sandbox):
    (candidates, rejections), generator = run(tmp_path, server, sandbox, fenced(GOOD))

    assert rejections == []
    assert [c.scale for c in candidates] == SCALES
    for candidate in candidates:
        lines = candidate.input.splitlines()
        assert int(lines[0]) == 10 * candidate.scale == len(lines[1].split())
        assert all(0 <= int(v) < 1000 for v in lines[1].split())
        assert (candidate.problem_id, candidate.generator, candidate.seed) == (PROBLEM, "model:fake-generator", 0)
        assert candidate.parent_test_id is None
    assert len({c.generator_version for c in candidates}) == 1
    # The prompt carries the statement and the samples; the sampling is the module's.
    (body,) = server.requests
    prompt = body["messages"][-1]["content"]
    assert STATEMENT in prompt and all(sample.strip() in prompt for sample in SAMPLES)
    assert "argv[1]" in prompt and "argv[2]" in prompt
    assert (body["n"], body["temperature"], body["max_tokens"]) == (1, 0.7, 2048)


def test_the_same_responses_give_the_same_candidates_from_the_caches(tmp_path, server):
    counting = CountingSandbox()
    (first, _), _ = run(tmp_path, server, counting, fenced(GOOD), fenced(GOOD.replace("10 *", "20 *")))
    assert len(first) == 2 * len(SCALES) and counting.launches > 0
    assert len({c.generator_version for c in first}) == 2  # two programs, two versions
    asked = len(server.requests)

    counting.launches = 0
    (again, rejections), _ = run(tmp_path, server, counting, "responses the cache makes irrelevant")
    assert rejections == []
    assert again == first[: len(SCALES)]  # one sample asked now: the first cached one
    assert len(server.requests) == asked and counting.launches == 0  # nothing asked, compiled or run


def test_a_generator_that_loops_forever_is_stopped_and_gives_no_candidate(tmp_path, server, sandbox):
    (candidates, rejections), _ = run(tmp_path, server, sandbox, fenced(LOOP))

    assert candidates == []
    assert [(r.scale, r.outcome) for r in rejections] == [(s, TrialOutcome.NO_INPUT) for s in SCALES]
    assert rejections[0].reason.startswith("TLE: CPU limit 1.0s exceeded")
    assert all(r.reason.startswith("not run: TLE at scale 1") for r in rejections[1:])
    row = rejections[0].trial_row()
    assert (row["outcome"], row["input_sha256"], row["test_id"]) == ("no_input", None, None)


def test_too_much_output_and_a_clock_are_no_input(tmp_path, server, sandbox):
    (candidates, rejections), _ = run(tmp_path, server, sandbox, fenced(HUGE), fenced(CLOCKED))

    assert candidates == []
    huge, clocked = rejections[: len(SCALES)], rejections[len(SCALES) :]
    assert huge[0].reason.startswith(f"OLE: stdout exceeded {MAX_INPUT_BYTES} bytes")
    assert all("not deterministic" in r.reason for r in clocked)


def test_writes_outside_the_sandbox_and_sockets_fail_inside_it(tmp_path, server, sandbox):
    outside = tmp_path / f"escaped-{uuid.uuid4().hex}"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        responses = [fenced(WRITER % {"path": outside}), fenced(CONNECTOR % {"port": port})]
        (candidates, rejections), _ = run(tmp_path, server, sandbox, *responses)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing from the sandbox reached the host's loopback

    assert candidates == []
    assert not outside.exists()
    writer, connector = rejections[0], rejections[len(SCALES)]
    assert writer.outcome == TrialOutcome.NO_INPUT and writer.reason.startswith("RE: exit code 3")
    assert "fopen: No such file or directory" in writer.reason
    assert connector.outcome == TrialOutcome.NO_INPUT and connector.reason.startswith("RE: exit code 4")
    assert "connect: " in connector.reason


def test_a_response_without_code_or_that_does_not_compile_gives_a_reason(tmp_path, server, sandbox):
    no_code = "I am sorry, I cannot write a generator for this problem."
    broken = fenced("int main( { return 0 }")
    (candidates, rejections), _ = run(tmp_path, server, sandbox, no_code, broken)

    assert candidates == []
    assert [r.scale for r in rejections] == SCALES * 2
    assert rejections[0].reason == "no program in response 0 (finish reason stop)"
    assert rejections[len(SCALES)].reason.startswith("CE: ")
    assert {r.outcome for r in rejections} == {TrialOutcome.NO_INPUT}


def test_an_unreachable_endpoint_is_infra_for_every_scale(tmp_path, sandbox):
    with socket.socket() as closed:  # a port nothing listens on: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
    generator = OpenAIGenerator(model="tiny-coder", base_url=url, max_retries=0, timeout_s=5)
    config = simulator_config(tmp_path)
    settings = GeneratedTestsSettings.from_config(config)
    annotator = Annotator(config, str(tmp_path / "cache"), sandbox)

    candidates, rejections = model_candidates(PROBLEM, STATEMENT, SAMPLES, settings, annotator, generator)
    assert candidates == []
    assert [(r.scale, r.outcome) for r in rejections] == [(s, TrialOutcome.INFRA) for s in SCALES]
    assert rejections[0].reason.startswith("generation failed, 2 of 2 responses missing: APIConnectionError")
