"""Fetching watched sources into stored documents.

Web sources (pages, feeds, JSON APIs) are fetched with a conditional GET (ETag/Last-Modified),
timeouts, a size cap, a content-type check and retries with back-off (urllib3's ``Retry``).
Every URL, redirects included, passes the SSRF guard first: private, loopback and link-local
targets are refused unless an admin marked the source internal (or the settings allow them).
Watched folders yield files that appeared or changed since the last look.

Each fetch leaves its outcome on the source (last status, last error, failures in a row).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import requests
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from urllib3.util.retry import Retry

from canary.netguard import UnsafeTarget, check_url, guarded_session

from .models import Source, SourceKind
from .services import store_document

log = logging.getLogger(__name__)

TIMEOUT = (5, 30)  # seconds: connect, then between bytes
MAX_BYTES = 50 << 20  # a web response bigger than this is refused
MAX_FOLDER_FILE_BYTES = 1 << 30
MAX_REDIRECTS = 5
MAX_FEED_LINKS = 50  # item pages followed per feed fetch
FOLDER_SETTLE_SECONDS = 5  # a file changed this recently may still be being written
USER_AGENT = "canary-waybills/1.0 (leak monitor)"
ACCEPTED_TYPES = {
    SourceKind.HTTP_PAGE: ("text/html", "application/xhtml+xml", "text/plain"),
    SourceKind.FEED: (
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    ),
    SourceKind.JSON_API: ("application/json", "text/json", "application/x-ndjson"),
}
_EXTENSIONS = {SourceKind.HTTP_PAGE: ".html", SourceKind.FEED: ".xml", SourceKind.JSON_API: ".json"}


class FetchError(Exception):
    """The source could not be fetched; the message is shown on the source."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    content_type: str
    etag: str
    last_modified: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def http_session(
    retries: int = 3, backoff: float = 1.0, *, allow_private: bool = False, allow_loopback: bool = False
) -> requests.Session:
    """A session that retries connection errors and 429/5xx answers, backing off between tries,
    and connects only to the addresses the SSRF guard checked (see :mod:`canary.netguard`)."""
    retry = Retry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        redirect=False,  # redirects are followed by hand, each target checked by the guard
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    return guarded_session(allow_private=allow_private, allow_loopback=allow_loopback, max_retries=retry)


def fetch_url(
    url: str,
    *,
    accept: tuple[str, ...],
    allow_private: bool = False,
    allow_loopback: bool = False,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int = MAX_BYTES,
    session: requests.Session | None = None,
) -> Fetched:
    """GET ``url`` safely; raises :class:`FetchError` or ``UnsafeTarget`` with a plain reason."""
    session = session or http_session(allow_private=allow_private, allow_loopback=allow_loopback)
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept) + ", */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(url, allow_private=allow_private, allow_loopback=allow_loopback)
        try:
            with session.get(
                url, headers=headers, timeout=TIMEOUT, stream=True, allow_redirects=False
            ) as reply:
                if reply.is_redirect:
                    url = urljoin(url, reply.headers["Location"])
                    continue
                return _read_reply(url, reply, accept, max_bytes)
        except requests.RequestException as error:
            raise FetchError(f"{url}: {error}") from error
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _read_reply(url: str, reply: requests.Response, accept: tuple[str, ...], max_bytes: int) -> Fetched:
    content_type = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
    meta = {
        "url": url,
        "status": reply.status_code,
        "content_type": content_type,
        "etag": reply.headers.get("ETag", ""),
        "last_modified": reply.headers.get("Last-Modified", ""),
    }
    if reply.status_code == 304:
        return Fetched(body=b"", **meta)
    if reply.status_code >= 400:
        raise FetchError(f"{url}: HTTP {reply.status_code} {reply.reason}")
    if accept and not _accepted(content_type, accept):
        raise FetchError(f"{url}: unexpected content type {content_type or '(none)'}")
    declared = reply.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url}: {int(declared):,} bytes, over the limit of {max_bytes:,}")
    body = bytearray()
    for piece in reply.iter_content(64 * 1024):
        body += piece
        if len(body) > max_bytes:
            raise FetchError(f"{url}: more than the limit of {max_bytes:,} bytes")
    return Fetched(body=bytes(body), **meta)


def _accepted(content_type: str, accept: tuple[str, ...]) -> bool:
    return content_type in accept or ("application/json" in accept and content_type.endswith("+json"))


# --------------------------------------------------------------------------- sources


def fetch_source_by_id(source_id: int) -> int:
    source = Source.objects.filter(pk=source_id, enabled=True).first()
    return fetch_source(source) if source else 0


def fetch_source(source: Source, session: requests.Session | None = None) -> int:
    """Fetch one source into documents; returns how many new documents it stored.

    The outcome is left on the source; a failing source raises nothing, so one bad source never
    stops the others.
    """
    changes: dict[str, object] = {"last_fetched_at": timezone.now()}
    created = 0
    try:
        if source.kind == SourceKind.FOLDER:
            created, cursor, skipped = _fetch_folder(source)
            changes.update(folder_cursor=cursor, last_status=f"{created} new files")
        elif source.kind in ACCEPTED_TYPES:
            created, status, fetched = _fetch_web(source, session)
            changes.update(last_status=status, etag=fetched.etag, last_modified=fetched.last_modified)
        else:
            changes.update(last_status="nothing to fetch (uploads come from analysts)")
        changes.update(last_error="", failures=0)
        if source.kind == SourceKind.FOLDER and skipped:
            changes.update(last_error=skipped)
    except (FetchError, UnsafeTarget, OSError) as error:
        log.warning("fetching source %s failed: %s", source.name, error)
        changes.update(last_status="error", last_error=str(error), failures=source.failures + 1)
    # A queryset update: saving the model would re-sync its schedule for nothing.
    Source.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():
        setattr(source, name, value)
    return created


def _fetch_web(source: Source, session: requests.Session | None) -> tuple[int, str, Fetched]:
    allow_loopback = source.internal or settings.ALLOW_LOOPBACK_TARGETS
    allow_private = source.internal or settings.ALLOW_PRIVATE_TARGETS
    session = session or http_session(allow_private=allow_private, allow_loopback=allow_loopback)
    fetched = fetch_url(
        source.url,
        accept=ACCEPTED_TYPES[source.kind],
        allow_private=allow_private,
        allow_loopback=allow_loopback,
        etag=source.etag,
        last_modified=source.last_modified,
        session=session,
    )
    if fetched.not_modified:
        # Keep the validators we had when the server sends none back with its 304.
        kept = Fetched(
            fetched.url,
            304,
            b"",
            "",
            fetched.etag or source.etag,
            fetched.last_modified or source.last_modified,
        )
        return 0, "304 not modified", kept
    if source.kind != SourceKind.FEED:
        name = document_name(fetched.url, _EXTENSIONS[source.kind])
        _, created = store_document(fetched.body, name, source=source, content_type=fetched.content_type)
        return int(created), f"{fetched.status} OK", fetched
    created = 0
    feed = feedparser.parse(fetched.body)
    for entry in feed.entries:
        link = entry.get("link", "")
        name = document_name(link or f"{source.url}#{entry.get('id', '')}", ".html")
        _, new = store_document(feed_entry_html(entry), name, source=source, content_type="text/html")
        created += new
    if source.follow_links:
        created += _follow_links(source, feed.entries, session, allow_private, allow_loopback)
    return created, f"{fetched.status} OK, {len(feed.entries)} items", fetched


def _follow_links(source: Source, entries, session, allow_private: bool, allow_loopback: bool) -> int:
    created = 0
    for entry in entries[:MAX_FEED_LINKS]:
        link = entry.get("link", "")
        if not link:
            continue
        try:
            page = fetch_url(
                link,
                accept=ACCEPTED_TYPES[SourceKind.HTTP_PAGE],
                allow_private=allow_private,
                allow_loopback=allow_loopback,
                session=session,
            )
        except (FetchError, UnsafeTarget) as error:
            log.info("feed %s: item link skipped: %s", source.name, error)
            continue
        _, new = store_document(
            page.body, document_name(page.url, ".html"), source=source, content_type=page.content_type
        )
        created += new
    return created


def feed_entry_html(entry) -> bytes:
    """One feed item as a small HTML page: title, link, summary and content, for the HTML reader."""
    parts = [entry.get("title", ""), entry.get("link", ""), entry.get("summary", "")]
    parts += [content.get("value", "") for content in entry.get("content", [])]
    body = "\n".join(f"<p>{part if '<' in part else escape(part)}</p>" for part in parts if part)
    return f"<!DOCTYPE html><html><body>\n{body}\n</body></html>".encode()


def document_name(url: str, extension: str) -> str:
    """A readable name for a fetched URL that tells the readers its format: ``host/path.html``."""
    parts = urlsplit(url)
    name = parts.netloc + (parts.path or "/")
    if parts.query:
        name += "?" + parts.query
    if not name.lower().endswith(extension):
        name += extension
    return name[:300]


def folder_root() -> Path:
    """Watched folders must lie under this directory: a source cannot read the server's files."""
    configured = getattr(settings, "SIGHTINGS_FOLDER_ROOT", "")
    return Path(configured or Path(settings.MEDIA_ROOT).parent / "drop").resolve()


def watched_folder(source: Source) -> Path:
    """The source's folder, checked: it must exist and lie under the folder root (a source must
    not read the server's own files)."""
    root = folder_root()
    folder = Path(source.path).resolve()
    if not folder.is_relative_to(root):
        raise FetchError(f"{source.path}: watched folders must be inside {root}")
    if not folder.is_dir():
        raise FetchError(f"{source.path}: no such folder")
    return folder


def _fetch_folder(source: Source) -> tuple[int, float, str]:
    folder = watched_folder(source)
    cursor = source.folder_cursor
    settled = time.time() - FOLDER_SETTLE_SECONDS
    created = 0
    too_big: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        info = path.stat()
        changed = max(info.st_mtime, info.st_ctime)  # ctime: files copied in keep their old mtime
        if changed <= source.folder_cursor or info.st_mtime > settled:
            continue
        cursor = max(cursor, changed)
        if info.st_size > MAX_FOLDER_FILE_BYTES:
            too_big.append(path.name)
            continue
        _, new = store_document(path.read_bytes(), str(path.relative_to(folder)), source=source)
        created += new
    skipped = f"files over {MAX_FOLDER_FILE_BYTES:,} bytes skipped: {', '.join(too_big)}" if too_big else ""
    return created, cursor, skipped
