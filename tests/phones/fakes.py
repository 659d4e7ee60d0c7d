"""Local stand-ins for third-party services: a real HTTP server on 127.0.0.1 that answers like
Twilio's REST API (or Alibaba's), records every request, and never reaches the internet."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class FakeHttpService:
    """Routes: (method, exact path) → (status, JSON body, None, or a function of the request that
    returns the body). Unrouted requests get 404."""

    routes: list[tuple[str, re.Pattern, int, object]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def route(self, method: str, path: str, body: object = None, status: int = 200) -> None:
        self.routes.insert(0, (method, re.compile(re.escape(path) + "$"), status, body))

    def requests(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if method is None or s.method == method]

    def start(self) -> str:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                seen = Seen(
                    self.command,
                    unquote(parts.path),
                    parse_qs(parts.query),
                    parse_qs(raw),
                    dict(self.headers),
                )
                service.seen.append(seen)
                for method, pattern, status, body in service.routes:
                    if method == self.command and pattern.match(seen.path):
                        body = body(seen) if callable(body) else body
                        payload = b"" if body is None else json.dumps(body).encode()
                        self.send_response(status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                self.send_response(404)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
