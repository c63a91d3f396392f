"""Compile once per (code, compiler, flags), sandboxed and time-limited, into a content-addressed cache."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass

from pie_assets.runtime.sandbox import Limits, Sandbox, SandboxUnavailable
from pie_assets.runtime.store import ContentStore

SOURCE_PATH = "/sandbox/src/main.cpp"  # fixed, so identical code gives an identical binary
ERROR_EXCERPT_CHARS = 2000


@dataclass(frozen=True)
class CompileResult:
    status: str  # OK | CE (the code's fault, cached) | INFRA (the harness's, retried next time)
    binary_path: str | None
    binary_sha256: str | None
    error: str  # excerpt of the compiler's stderr when not OK
    cached: bool

    @property
    def ok(self) -> bool:
        return self.status == "OK"


@functools.lru_cache(maxsize=None)
def compiler_identity(compiler: str) -> str:
    """`g++ -dumpfullversion` plus the resolved driver path: part of every compile key."""
    version = subprocess.run([compiler, "-dumpfullversion"], capture_output=True, text=True, check=True).stdout
    path = subprocess.run(["sh", "-c", f"command -v {compiler}"], capture_output=True, text=True).stdout
    return f"{os.path.realpath(path.strip())} {version.strip()}"


class Compiler:
    def __init__(self, cache_root: str, sandbox: Sandbox, compiler: str, flags: list[str],
                 timeout_s: float, memory_mb: int) -> None:
        self.store = ContentStore(cache_root, "compile")
        self.sandbox = sandbox
        self.compiler = compiler
        self.flags = list(flags)
        self.limits = Limits(cpu_s=timeout_s, wall_s=timeout_s, address_space_mb=memory_mb,
                             file_size_mb=512, processes=64, output_bytes=1 << 20)

    def key(self, code_sha256: str) -> str:
        ident = f"{code_sha256}|{compiler_identity(self.compiler)}|{' '.join(self.flags)}"
        return hashlib.sha256(ident.encode()).hexdigest()

    def compile(self, code: bytes, code_sha256: str) -> CompileResult:
        key = self.key(code_sha256)
        record = self.store.get(key)
        if record is not None:
            ok = record["ok"]
            return CompileResult("OK" if ok else "CE", self.store.blob_path(key) if ok else None,
                                 record["binary_sha256"], record["error"], cached=True)
        with tempfile.NamedTemporaryFile(suffix=".cpp") as src:
            src.write(code)
            src.flush()
            try:
                result = self.sandbox.run(
                    [self.compiler, *self.flags, SOURCE_PATH, "-o", "/sandbox/work/prog"],
                    stdin=b"", limits=self.limits, ro_binds={src.name: SOURCE_PATH}, collect=["prog"],
                )
            except SandboxUnavailable as err:
                return CompileResult("INFRA", None, None, f"sandbox unavailable: {err}", cached=False)
        binary = result.files.get("prog")
        if result.timed_out or result.cpu_limit_exceeded:
            # Not the code's verdict (a huge template instantiation may pass elsewhere): not cached.
            return CompileResult("INFRA", None, None, f"compile exceeded {self.limits.wall_s:.0f} s", cached=False)
        if result.returncode == 0 and binary:
            binary_sha = hashlib.sha256(binary).hexdigest()
            self.store.put_blob(key, binary)
            self.store.put(key, {"ok": True, "binary_sha256": binary_sha, "error": ""})
            return CompileResult("OK", self.store.blob_path(key), binary_sha, "", cached=False)
        error = result.stderr.decode("utf-8", "replace")[:ERROR_EXCERPT_CHARS] or f"exit {result.returncode}"
        self.store.put(key, {"ok": False, "binary_sha256": None, "error": error})
        return CompileResult("CE", None, None, error, cached=False)
