"""A real loopback HTTP server that records every request it receives: the target a hostile package aims
at. Drills assert it heard nothing (the hub refused before sending) or exactly what was expected.

``Trap.answer`` decides what it says: JSON, a redirect, a huge or endless body, deeply nested JSON.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Heard:
    """One request the trap received."""

    method: str
    path: str
    headers: dict[str, str]


def json_answer(body: bytes = b'{"data": []}', status: int = 200) -> Answer:
    """Answer with a fixed JSON body."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def redirect_answer(location: str) -> Answer:
    """Answer 302 to ``location``."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


@dataclass
class Trap:
    """A recording server on ``host`` (IPv4 or IPv6 loopback), on a free port."""

    host: str = "127.0.0.1"
    answer: Answer = field(default_factory=json_answer)
    heard: list[Heard] = field(default_factory=list)
    bytes_sent: int = 0

    def __post_init__(self) -> None:
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                trap.heard.append(Heard(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                # the hub hanging up is what a refused answer looks like from here
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    trap.answer(self)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args: object) -> None:
                return

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            daemon_threads = True

        self.server = Server((self.host, 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()
