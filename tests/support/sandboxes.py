"""Sandboxes for tests: the real one, instrumented."""

from __future__ import annotations

from pie_assets.runtime.sandbox import Sandbox


class CountingSandbox(Sandbox):
    """The real sandbox, counting its launches (to prove cache hits run nothing)."""

    def __init__(self) -> None:
        self.launches = 0
        super().__init__()  # probes bwrap through run(); not counted below
        self.launches = 0

    def run(self, *args, **kwargs):
        self.launches += 1
        return super().run(*args, **kwargs)
