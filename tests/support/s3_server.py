"""A real S3 HTTP API on 127.0.0.1 for tests: moto's server app behind werkzeug, on a free port.

moto checks a conditional write's precondition and stores the object in two steps, so two
concurrent `If-None-Match: *` PUTs can both succeed (seen: 1 race in 20 with 8 writers); S3
itself applies each request atomically. The app here takes requests one at a time, which gives
the tests S3's guarantee: the lock under test, not the emulator's race, decides who wins.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import s3fs
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

REGION = "us-east-1"


class _QuietHandler(MotoRequestHandler):
    """No access log: a run makes thousands of requests."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _OneRequestAtATime:
    """A WSGI app that runs moto's requests serially (see the module docstring)."""

    def __init__(self) -> None:
        self._app = DomainDispatcherApplication(create_backend_app)
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class S3Server:
    """Serves until `stop()`; `env` is what a client needs to reach it (the standard AWS variables)."""

    def __init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, _OneRequestAtATime(), threaded=True, request_handler=_QuietHandler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }

    def new_bucket(self) -> str:
        """A fresh bucket, so tests sharing the server never see each other's objects."""
        name = f"pie-{uuid.uuid4().hex[:12]}"
        s3fs.S3FileSystem(endpoint_url=self.endpoint, key="testing", secret="testing").mkdir(name)
        return name

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


@contextmanager
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    try:
        yield server
    finally:
        server.stop()
