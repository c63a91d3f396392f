"""Compile once per (code, compiler, flags, link mode, precompiled header), sandboxed and
time-limited, into a content-addressed cache.

Two switches of `[compile]` cut the cost of every program (see docs/concepts/runtime.md):

* `static`: link with `-static`. A dynamic binary spends its start resolving libstdc++ and libc
  through ld.so, which under valgrind is most of a short run (~126k of a hello-world's ~164k
  instructions, and valgrind has to load and instrument every shared object). The switch is in
  the cache key: it changes the binary.
* `strip`: link with `-s` as well. valgrind reads a binary's symbol table at start-up (~0.012 s of
  a short measured run for a 2 MB static binary) to attribute costs to functions, which this
  project never reports. Instruction counts stay deterministic (a stripped binary counts a few
  instructions fewer than an unstripped one: a different binary, a different key).
* `precompiled_header`: `bits/stdc++.h` (what most contest programs include, ~1 s of g++'s time)
  is precompiled once per (compiler identity, flags) inside the sandbox, stored in the cache and
  bound read-only at `/sandbox/pch/bits/stdc++.h.gch`; `-I /sandbox/pch` makes g++ look there
  before the system header. g++ uses a PCH only when it is valid for the translation unit (same
  options, nothing before the include that changes it, e.g. `#define int long long`) and silently
  reads the header otherwise, so the program means the same either way (tested: equal
  instruction counts on the sample's accepted programs). The switch is in the key all the same.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass

from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.sandbox import Limits, Sandbox, SandboxUnavailable
from pie_assets.runtime.store import ContentStore
from pie_assets.runtime.toolchain import compiler_identity

SOURCE_PATH = "/sandbox/src/main.cpp"  # fixed, so identical code gives an identical binary
ERROR_EXCERPT_CHARS = 2000
PCH_HEADER = "bits/stdc++.h"
PCH_INCLUDE_DIR = "/sandbox/pch"  # holds bits/stdc++.h.gch; searched before the system headers
PCH_SOURCE_PATH = "/sandbox/src/stdc++.h"  # the PCH's source: one line including the real header
PCH_OUT = "stdc++.h.gch"


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

    @property
    def binary(self) -> str:
        """The binary's path: only an OK result has one."""
        if self.binary_path is None:
            raise ValueError(f"no binary: the compile ended {self.status}")
        return self.binary_path


class PrecompiledHeader:
    """`bits/stdc++.h` precompiled with the compile flags, built on first use (once per cache:
    concurrent builders each write a complete file, renamed into place by the ContentStore) and
    laid out for `-I`: a private dir `<tmp>/bits/stdc++.h.gch`, a hard link to the cached file
    where the file systems allow (a copy otherwise), readable by the sandbox user so that no
    compile has to stage a copy of the ~100 MB file."""

    def __init__(self, cache_root: str, sandbox: Sandbox, compiler: str, flags: list[str], limits: Limits) -> None:
        self.store = ContentStore(cache_root, "pch")
        self.sandbox, self.compiler, self.flags, self.limits = sandbox, compiler, list(flags), limits
        self._lock = threading.Lock()
        self._include_dir: str | None = None
        self._failed = False

    def key(self) -> str:
        ident = f"{PCH_HEADER}|{compiler_identity(self.compiler)}|{' '.join(self.flags)}"
        return hashlib.sha256(ident.encode()).hexdigest()

    def include_dir(self) -> str | None:
        """The host dir to bind at PCH_INCLUDE_DIR, or None when the header cannot be precompiled
        (then compiles read the header, as without the switch)."""
        with self._lock:
            if self._include_dir is None and not self._failed:
                gch = self._cached_or_built()
                self._failed = gch is None
                if gch is not None:
                    self._include_dir = _include_dir_for(gch)
                    weakref.finalize(self, shutil.rmtree, self._include_dir, True)
            return self._include_dir

    def _cached_or_built(self) -> str | None:
        key = self.key()
        record = self.store.get(key)
        if record is None:
            record = self._build(key)
        return self.store.blob_path(key) if record and record["ok"] else None

    def _build(self, key: str) -> dict[str, object] | None:
        """Precompile in the sandbox like any compile. A failing compiler (no bits/stdc++.h, e.g.
        libc++) is recorded; a timeout or a sandbox failure is not (None: retried by the next
        Compiler)."""
        with tempfile.NamedTemporaryFile(suffix=".h") as src:
            src.write(f"#include <{PCH_HEADER}>\n".encode())
            src.flush()
            try:
                result = self.sandbox.run(
                    [self.compiler, *self.flags, "-x", "c++-header", PCH_SOURCE_PATH, "-o", f"/sandbox/work/{PCH_OUT}"],
                    stdin=b"",
                    limits=self.limits,
                    ro_binds={src.name: PCH_SOURCE_PATH},
                    collect=[PCH_OUT],
                )
            except SandboxUnavailable:
                return None
        if result.timed_out or result.cpu_limit_exceeded:
            return None
        gch = result.files.get(PCH_OUT)
        if result.returncode == 0 and gch:
            self.store.put_blob(key, gch)
            record = {"ok": True, "error": ""}
        else:
            record = {"ok": False, "error": result.stderr.decode("utf-8", "replace")[:ERROR_EXCERPT_CHARS]}
        self.store.put(key, record)
        return record


def _include_dir_for(gch: str) -> str:
    """A new dir holding `bits/stdc++.h.gch` → `gch`, traversable and readable by the sandbox user
    (cached blobs are a+r already; a copy is made so), and beside it a `bits/stdc++.h` that is
    `#include_next` of the system one: where g++ cannot use the PCH after finding it (a second
    include of the header, which has no include guard), it reads the header from the PCH's own
    directory, and must get the real one there."""
    root = tempfile.mkdtemp(prefix="pie-pch-")
    bits = os.path.join(root, os.path.dirname(PCH_HEADER))
    os.makedirs(bits)
    shim = os.path.join(root, PCH_HEADER)
    with open(shim, "w") as f:
        f.write(f"#include_next <{PCH_HEADER}>\n")
    os.chmod(shim, 0o444)
    target = os.path.join(bits, PCH_OUT)
    try:
        os.link(gch, target)
    except OSError:  # another file system: one copy per Compiler
        shutil.copyfile(gch, target)
        os.chmod(target, 0o444)
    for directory in (root, bits):
        os.chmod(directory, 0o755)
    return root


class Compiler:
    def __init__(
        self,
        cache_root: str,
        sandbox: Sandbox,
        compiler: str,
        flags: list[str],
        timeout_s: float,
        memory_mb: int,
        *,
        static: bool = False,
        strip: bool = False,
        precompiled_header: bool = False,
    ) -> None:
        """Exactly the flags given unless a switch says otherwise; the pipeline's choices come from
        the simulator config through `from_config`."""
        self.store = ContentStore(cache_root, "compile")
        self.sandbox = sandbox
        self.compiler = compiler
        self.flags = list(flags)
        self.link_flags = (["-static"] if static else []) + (["-s"] if strip else [])
        self.limits = Limits(
            cpu_s=timeout_s,
            wall_s=timeout_s,
            address_space_mb=memory_mb,
            file_size_mb=512,
            processes=64,
            output_bytes=1 << 20,
        )
        self.pch = (
            PrecompiledHeader(cache_root, sandbox, compiler, self.flags, self.limits) if precompiled_header else None
        )

    @classmethod
    def from_config(cls, config: SimulatorConfig, cache_root: str, sandbox: Sandbox) -> Compiler:
        """The compiler as `[compile]` configures it; `static`, `strip` and `precompiled_header` default on."""
        section = config.section("compile")
        return cls(
            cache_root,
            sandbox,
            section.get("compiler", "g++"),
            section.get("flags", ["-std=c++17", "-O3"]),
            float(section.get("timeout_s", 120)),
            int(section.get("memory_mb", 4096)),
            static=bool(section.get("static", True)),
            strip=bool(section.get("strip", True)),
            precompiled_header=bool(section.get("precompiled_header", True)),
        )

    def key(self, code_sha256: str) -> str:
        """Everything the binary depends on; the default (dynamic, no PCH) keeps its older keys."""
        flags = " ".join([*self.flags, *self.link_flags])
        ident = f"{code_sha256}|{compiler_identity(self.compiler)}|{flags}"
        if self.pch is not None:
            ident += f"|precompiled {PCH_HEADER} with include_next fallback"  # older CEs were wrong
        return hashlib.sha256(ident.encode()).hexdigest()

    def compile(self, code: bytes, code_sha256: str) -> CompileResult:
        key = self.key(code_sha256)
        record = self.store.get(key)
        if record is not None:
            ok = record["ok"]
            return CompileResult(
                "OK" if ok else "CE",
                self.store.blob_path(key) if ok else None,
                record["binary_sha256"],
                record["error"],
                cached=True,
            )
        # Only a program that names the header can use it: the others never pay for building it.
        include_dir = self.pch.include_dir() if self.pch is not None and PCH_HEADER.encode() in code else None
        pch_args = ["-I", PCH_INCLUDE_DIR] if include_dir else []
        pch_binds = {include_dir: PCH_INCLUDE_DIR} if include_dir else {}
        with tempfile.NamedTemporaryFile(suffix=".cpp") as src:
            src.write(code)
            src.flush()
            try:
                result = self.sandbox.run(
                    [self.compiler, *self.flags, *pch_args, SOURCE_PATH, "-o", "/sandbox/work/prog", *self.link_flags],
                    stdin=b"",
                    limits=self.limits,
                    collect=["prog"],
                    ro_binds={src.name: SOURCE_PATH, **pch_binds},
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
