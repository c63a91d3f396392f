"""Content-addressed on-disk store of small JSON records and blobs (compile and measurement caches).

One file per key under `<root>/<kind>/<key[:2]>/`, written by temp file + rename, so concurrent
runs and partitions can share it without locks: a key's content is a pure function of the key.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from pie_assets.runtime.fork_lock import writing_executable


class ContentStore:
    def __init__(self, root: str, kind: str) -> None:
        self.dir = os.path.join(root, kind)

    def _path(self, key: str, suffix: str) -> str:
        return os.path.join(self.dir, key[:2], key + suffix)

    def _write(self, path: str, data: bytes, mode: int = 0o644) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._path(key, ".json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def put(self, key: str, record: dict[str, Any]) -> None:
        self._write(self._path(key, ".json"), json.dumps(record, sort_keys=True).encode())

    def blob_path(self, key: str) -> str:
        return self._path(key, ".bin")

    def put_blob(self, key: str, data: bytes) -> str:
        """Blobs are executables (compiled programs), run by the sandbox's unprivileged user; no
        fork may inherit the write (`fork_lock`)."""
        path = self.blob_path(key)
        with writing_executable():
            self._write(path, data, mode=0o755)
        return path
