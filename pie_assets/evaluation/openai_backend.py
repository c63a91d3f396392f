"""Generation through any OpenAI-compatible endpoint: OpenAI itself, vLLM, TGI, llama.cpp servers.

Retries are the `openai` client's own: 408/409/429/5xx and connection errors are retried up to
`max_retries` times, after the server's `retry-after-ms` / `Retry-After` when it is above 0 and
at most 120 s, else with exponential backoff (0.5 s doubling to 8 s, jittered; `Retry-After: 0`
gets the backoff too); a Retry-After over 120 s is not retried. So no retry loop here.

The API key is read from `api_key_env`; when it is unset "EMPTY" is sent, which local servers
accept (they ignore the key) and hosted APIs reject with a clear 401. The key never enters the
identity (cache keys, run metadata). On a Ray cluster the generator travels as its recipe with
the driver's key (in the task's arguments, in memory), so workers need no key of their own, and
each worker process keeps one client (`engine.worker_instance`): its connections are reused.

Max tokens go as `max_tokens`: deprecated by OpenAI for chat in favour of `max_completion_tokens`
but still accepted for non-reasoning models, and the name vLLM and TGI read.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

from pie_assets.evaluation.sampling import Completion, GenerationRequest, SamplingSettings
from pie_assets.runtime.engine import worker_instance

APIS = ("chat", "completions")


class OpenAIGenerator:
    cacheable = True
    task_cpus = 0.0  # a request waits on the endpoint

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key_env: str = "OPENAI_API_KEY",
        api: str = "chat",
        max_retries: int = 5,
        timeout_s: float = 120.0,
        system_prompt: str | None = None,
        api_key: str | None = None,
    ) -> None:
        """`api_key`: the key itself (a worker's copy of the driver's); default `$api_key_env`."""
        if api not in APIS:
            raise ValueError(f"api must be one of {APIS}, not {api!r}")
        if system_prompt is not None and api != "chat":
            raise ValueError("a system prompt needs api='chat'")
        self.model = model
        self.api = api
        self.system_prompt = system_prompt
        self.name = f"openai-{api} {model} @ {base_url}"
        # The system prompt changes every sample, so it is part of the identity when there is one.
        system = "" if system_prompt is None else "#system=" + hashlib.sha256(system_prompt.encode()).hexdigest()[:16]
        self.identity = f"openai-{api}:{model}@{base_url}{system}"
        self._recipe: dict[str, Any] = dict(
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            api=api,
            max_retries=max_retries,
            timeout_s=timeout_s,
            system_prompt=system_prompt,
            api_key=api_key or os.environ.get(api_key_env) or "EMPTY",
        )
        self._client = openai.OpenAI(
            base_url=base_url, api_key=self._recipe["api_key"], max_retries=max_retries, timeout=timeout_s
        )

    def __reduce__(self):
        """Pickled (a Ray task's argument) as its recipe; each worker process builds it once."""
        return (worker_openai_generator, (tuple(sorted(self._recipe.items())),))

    def generate(
        self, request: GenerationRequest, n: int, settings: SamplingSettings, *, first_index: int = 0
    ) -> list[Completion]:
        """`first_index` is irrelevant here: the server samples afresh on every call."""
        completions: list[Completion] = []
        while len(completions) < n:
            # Some servers ignore `n` and answer one choice: ask again for the rest.
            batch = self._call(request.prompt, n - len(completions), settings)
            if not batch:
                raise RuntimeError(f"{self.name} answered no choices")
            completions.extend(batch)
        return completions[:n]

    def _call(self, prompt: str, n: int, settings: SamplingSettings) -> list[Completion]:
        common: dict[str, Any] = dict(
            model=self.model,
            n=n,
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_tokens=settings.max_new_tokens,
        )
        if self.api == "completions":
            response = self._client.completions.create(prompt=prompt, **common)
            return [
                Completion(choice.text, choice.finish_reason)
                for choice in sorted(response.choices, key=lambda choice: choice.index)
            ]
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": prompt}]
        if self.system_prompt is not None:
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        response = self._client.chat.completions.create(messages=messages, **common)
        return [
            Completion(choice.message.content or "", choice.finish_reason)
            for choice in sorted(response.choices, key=lambda choice: choice.index)
        ]


def worker_openai_generator(recipe: tuple[tuple[str, Any], ...]) -> OpenAIGenerator:
    """This worker process's generator (and HTTP client) for the recipe."""
    return worker_instance("openai", recipe, lambda: OpenAIGenerator(**dict(recipe)))
