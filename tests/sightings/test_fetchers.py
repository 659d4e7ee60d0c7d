"""Fetching sources against a real local HTTP server: conditional GET, size cap, SSRF guard, feeds,
folders and schedules."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_celery_beat.models import PeriodicTask

from canary.campaigns.models import Decoy
from canary.netguard import UnsafeTarget
from canary.sightings.fetchers import FetchError, fetch_source, fetch_url, http_session
from canary.sightings.models import Document, Sighting, Source, SourceKind

pytestmark = pytest.mark.django_db


class Site:
    """A local web server serving canned pages; it records the requests it got."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes, dict[str, str]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                if self.path not in site.pages:
                    self.send_error(404)
                    return
                content_type, body, headers = site.pages[self.path]
                etag = headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                if "Location" in headers:
                    self.send_response(302)
                    self.send_header("Location", headers["Location"])
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "no-length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@pytest.fixture
def site():
    site = Site()
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture
def loopback_allowed(settings):
    settings.ALLOW_LOOPBACK_TARGETS = True


@pytest.fixture
def decoy(campaign):
    return Decoy.objects.filter(campaign=campaign).order_by("id")[2]


def page_source(site, path="/forum/1", **fields) -> Source:
    return Source.objects.create(
        name=fields.pop("name", "forum"), kind=SourceKind.HTTP_PAGE, url=site.url(path), **fields
    )


def test_a_page_is_stored_and_scanned_and_an_unchanged_page_is_not_fetched_twice(
    site, loopback_allowed, decoy, django_capture_on_commit_callbacks
):
    html = f"<html><body><p>出售新鲜单号</p><p>{decoy.waybill_no} {decoy.recipient_name}</p></body></html>"
    site.pages["/forum/1"] = ("text/html; charset=utf-8", html.encode(), {"ETag": '"v1"'})
    source = page_source(site)

    with django_capture_on_commit_callbacks(execute=True):
        assert fetch_source(source) == 1
    assert fetch_source(source) == 0

    source.refresh_from_db()
    assert source.etag == '"v1"' and source.last_status == "304 not modified" and source.failures == 0
    assert site.requests[-1][1]["If-None-Match"] == '"v1"'
    document = Document.objects.get()
    assert document.status == "done" and document.source == source
    sighting = Sighting.objects.get()
    assert sighting.decoy == decoy and sighting.strength == "strong"


def test_a_response_over_the_size_cap_is_refused(site):
    site.pages["/big"] = ("text/plain", b"x" * 5000, {})
    site.pages["/big-unannounced"] = ("text/plain", b"x" * 5000, {"no-length": "1", "Connection": "close"})

    for path in ("/big", "/big-unannounced"):
        with pytest.raises(FetchError, match="limit"):
            fetch_url(site.url(path), accept=("text/plain",), allow_loopback=True, max_bytes=1000)


def test_loopback_is_refused_unless_allowed_and_nothing_is_requested(site, settings):
    settings.ALLOW_LOOPBACK_TARGETS = False
    site.pages["/forum/1"] = ("text/html", b"<p>hi</p>", {})
    source = page_source(site)

    fetch_source(source)

    source.refresh_from_db()
    assert source.last_status == "error" and "loopback" in source.last_error
    assert site.requests == []


def test_a_source_an_admin_marked_internal_may_reach_loopback(site, settings):
    settings.ALLOW_LOOPBACK_TARGETS = False
    site.pages["/forum/1"] = ("text/html", b"<p>hi</p>", {})
    source = page_source(site, internal=True)

    assert fetch_source(source) == 1


def test_a_redirect_to_a_refused_target_is_not_followed(site):
    site.pages["/go"] = ("text/html", b"", {"Location": "http://169.254.169.254/latest/meta-data/"})

    with pytest.raises(UnsafeTarget, match="link-local"):
        fetch_url(site.url("/go"), accept=("text/html",), allow_loopback=True)
    assert [path for path, _ in site.requests] == ["/go"]


def test_an_unexpected_content_type_is_refused(site, loopback_allowed):
    site.pages["/api"] = ("text/html", b"<p>not json</p>", {})
    source = Source.objects.create(name="api", kind=SourceKind.JSON_API, url=site.url("/api"))

    fetch_source(source)

    source.refresh_from_db()
    assert "content type text/html" in source.last_error


def test_server_errors_are_retried_then_reported(site, loopback_allowed):
    source = page_source(site, path="/missing")

    fetch_source(source, session=http_session(retries=1, backoff=0, allow_loopback=True))

    source.refresh_from_db()
    assert "HTTP 404" in source.last_error and source.failures == 1


def test_feed_items_become_documents_and_their_links_are_followed(
    site, loopback_allowed, decoy, django_capture_on_commit_callbacks
):
    rss = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
    <item><title>今日新单</title><link>{site.url("/post/1")}</link>
      <description>运单 {decoy.waybill_no}</description></item>
    <item><title>闲聊</title><link>{site.url("/post/2")}</link><description>没什么</description></item>
    </channel></rss>"""
    site.pages["/feed"] = ("application/rss+xml", rss.encode(), {})
    site.pages["/post/1"] = ("text/html", f"<p>电话 {decoy.recipient_phone}</p>".encode(), {})
    site.pages["/post/2"] = ("text/html", b"<p>nothing here</p>", {})
    source = Source.objects.create(
        name="feed", kind=SourceKind.FEED, url=site.url("/feed"), follow_links=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert fetch_source(source) == 4

    assert Sighting.objects.filter(decoy=decoy, kinds__contains=["waybill"]).count() == 1
    (phone,) = Sighting.objects.filter(kinds__contains=["phone"])  # a canary phone: shared evidence
    assert decoy.pk in phone.candidates


def test_a_watched_folder_yields_new_files_only(tmp_path, settings):
    settings.SIGHTINGS_FOLDER_ROOT = str(tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.txt").write_text("one")
    old = time.time() - 60
    os.utime(drop / "a.txt", (old, old))
    source = Source.objects.create(name="drop", kind=SourceKind.FOLDER, path=str(drop))

    assert fetch_source(source) == 1
    assert fetch_source(source) == 0
    assert Document.objects.get().name == "a.txt"


def test_a_folder_outside_the_drop_root_is_refused(tmp_path, settings):
    settings.SIGHTINGS_FOLDER_ROOT = str(tmp_path / "drop")
    source = Source.objects.create(name="etc", kind=SourceKind.FOLDER, path="/etc")

    fetch_source(source)

    source.refresh_from_db()
    assert "must be inside" in source.last_error


def test_every_fetched_source_gets_a_beat_schedule_that_follows_it(site):
    source = page_source(site, every_minutes=15)

    task = PeriodicTask.objects.get(name=f"sightings.fetch_source:{source.pk}")
    assert task.interval.every == 15 and task.enabled and task.args == f"[{source.pk}]"

    source.enabled = False
    source.save()
    task.refresh_from_db()
    assert not task.enabled

    source.delete()
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()
