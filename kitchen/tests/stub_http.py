"""A real HTTP server on loopback that answers what a test tells it to (the outside internet's stand-in)."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    # Sent after Content-Type and Content-Length, replacing them when named; None leaves a header out.
    headers: dict[str, str | None] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-reply (a timeout, a size cap) is what some tests are about."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class StubServer:
    replies: dict[str, Reply] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"  # any loopback address (127.0.0.2 ...) on Linux

    def start(self) -> str:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                stub.hits.append(self.path)
                reply = stub.replies.get(path, Reply(status=404, body=b"{}"))
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                headers = {"Content-Type": reply.content_type, "Content-Length": str(len(reply.body)), **reply.headers}
                for name, value in headers.items():
                    if value is not None:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args) -> None:
                pass

        self._server = _Server((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://{self.host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
