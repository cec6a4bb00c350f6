"""A real loopback HTTP listener that records every connection it accepts.

To prove a refused request never connected: the test points a URL at a
listener and checks ``accepted`` afterwards. It answers every request with
one fixed response.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, answer: Answer):
        self.address_family = family
        self.answer = answer
        self.accepted: list[Any] = []
        self.hosts: list[str] = []
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that stops reading (a capped claim) is expected."""

    def get_request(self) -> tuple[socket.socket, Any]:
        request, client = super().get_request()
        self.accepted.append(client)
        return request, client


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _answer(self) -> None:
        self.server.hosts.append(self.headers.get("Host", ""))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        answer = self.server.answer
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = _answer


@contextmanager
def listening(host: str = "127.0.0.1", answer: Answer | None = None) -> Iterator[_Server]:
    """A listener on ``host`` and a free port; ``server_address[1]`` is the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = _Server((host, 0), family, answer or Answer())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
