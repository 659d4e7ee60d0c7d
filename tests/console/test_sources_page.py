"""Sources in the console: folders relative to the root and checked on save, a test fetch that
stores nothing, fetch now, enable/disable; all audited."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from canary.audit.models import AuditEvent
from canary.sightings.models import Document, Source, SourceKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(tmp_path, settings):
    root = tmp_path / "drop"
    (root / "forum" / "bought").mkdir(parents=True)
    settings.SIGHTINGS_FOLDER_ROOT = str(root)
    return root


@pytest.fixture
def page_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = "<html><body>出售快递单号 SF1234567890123</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/forum"
    server.shutdown()


def folder_form(folder: str) -> dict:
    return {
        "name": "买来的数据",
        "kind": SourceKind.FOLDER,
        "folder": folder,
        "every_minutes": 30,
        "enabled": "on",
    }


def test_a_folder_is_stored_under_the_root_and_scheduled(analyst, root):
    response = analyst.post(reverse("console:source-add"), folder_form("forum/bought"))

    assert response.status_code == 302
    source = Source.objects.get()
    assert source.path == str(root / "forum" / "bought")
    assert PeriodicTask.objects.get(name=f"sightings.fetch_source:{source.pk}").interval.every == 30
    assert AuditEvent.objects.filter(action="source.save").exists()


@pytest.mark.parametrize(
    ("folder", "error"),
    [
        ("/etc", "相对于"),
        ("../../etc", "必须位于"),
        ("forum/missing", "没有这个文件夹"),
        ("", "需要一个文件夹"),
    ],
)
def test_a_folder_outside_the_root_or_missing_is_refused_in_chinese(analyst, root, folder, error):
    response = analyst.post(reverse("console:source-add"), folder_form(folder))

    assert response.status_code == 200 and error in response.content.decode()
    assert not Source.objects.exists()


def test_a_web_source_needs_a_url(analyst):
    response = analyst.post(
        reverse("console:source-add"), {"name": "论坛", "kind": "http_page", "every_minutes": 60}
    )

    assert "网络来源需要一个网址" in response.content.decode()


def test_test_fetch_reports_what_came_back_and_stores_nothing(analyst, page_server, settings):
    settings.ALLOW_LOOPBACK_TARGETS = True
    source = Source.objects.create(name="论坛", kind=SourceKind.HTTP_PAGE, url=page_server)

    page = analyst.post(reverse("console:source-test", args=[source.pk]), follow=True).content.decode()

    assert "HTTP 200" in page and "text/html" in page
    assert not Document.objects.exists()
    assert AuditEvent.objects.filter(action="source.test").exists()


def test_test_fetch_of_a_loopback_address_is_refused_for_a_public_source(analyst, page_server):
    source = Source.objects.create(name="论坛", kind=SourceKind.HTTP_PAGE, url=page_server)

    page = analyst.post(reverse("console:source-test", args=[source.pk]), follow=True).content.decode()

    assert "测试失败" in page


def test_fetch_now_stores_the_page_and_the_status_shows_on_the_list(analyst, page_server, settings):
    settings.ALLOW_LOOPBACK_TARGETS = True
    source = Source.objects.create(name="论坛", kind=SourceKind.HTTP_PAGE, url=page_server)

    analyst.post(reverse("console:source-fetch", args=[source.pk]))  # tasks run eagerly here

    assert Document.objects.filter(source=source).count() == 1
    listing = analyst.get(reverse("console:sources")).content.decode()
    assert "正常" in listing


def test_disable_turns_the_schedule_off(analyst):
    source = Source.objects.create(name="论坛", kind=SourceKind.FEED, url="https://example.com/feed")

    analyst.post(reverse("console:source-toggle", args=[source.pk]))

    assert not Source.objects.get().enabled
    assert not PeriodicTask.objects.get(name=f"sightings.fetch_source:{source.pk}").enabled
