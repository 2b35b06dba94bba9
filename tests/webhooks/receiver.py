"""A real HTTP receiver on 127.0.0.1: records every request, answers as scripted."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: str


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: deque[int] = deque()
        self._lock = threading.Lock()
        self.arrived = threading.Condition(self._lock)
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def answer(self, *statuses: int) -> None:
        """The status codes of the next requests, in order (200 once they run out)."""
        with self._lock:
            self._answers.extend(statuses)

    def _next(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            self.arrived.notify_all()
            return self._answers.popleft() if self._answers else 200

    def wait_for(self, count: int, limit: float = 30.0) -> list[Received]:
        """Block until `count` requests arrived (or `limit` seconds: then what arrived)."""
        with self._lock:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=limit)
            return list(self.requests)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver._next(Received("POST", self.path, headers, body))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            payload = b"" if status in (204, 304) else b"ok" if status < 400 else b"nope"
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
