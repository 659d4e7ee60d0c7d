"""A local "forum" for the demo: a loopback web page where the insider posts a dump. Pure.

Posts are files in one folder; the page lists them all, newest first, so a watched source that
polls the page sees each new dump as new content. The server is a small standard-library HTTP
server on 127.0.0.1 in a daemon thread; a second ``simulate_leak`` finding the port taken only
adds its post to the folder, and the forum already running serves it.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>快递数据交流区</title></head>
<body><h1>快递数据交流区</h1>
{posts}
</body></html>
"""
POST = '<article id="{name}"><h2>{title}</h2><pre>{body}</pre></article>'


def post(folder: Path, name: str, title: str, body: str) -> Path:
    """Publish one post (stored as ``name``.txt: its title line, then the body)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text(f"{title}\n{body}", encoding="utf-8")
    return path


def render(folder: Path) -> str:
    """The forum page: every post, newest first."""
    posts = (
        sorted(folder.glob("*.txt"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []
    )
    parts = []
    for path in posts:
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        parts.append(
            POST.format(name=html.escape(path.stem), title=html.escape(title), body=html.escape(body))
        )
    return PAGE.format(posts="\n".join(parts))


class Forum:
    """Serves ``render(folder)`` at http://127.0.0.1:``port``/ until ``stop()``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        forum = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = render(forum.folder).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:
                pass  # the source's own fetch log says what was fetched

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, name="demo-forum", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
