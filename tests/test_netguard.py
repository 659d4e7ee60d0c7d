"""The SSRF guard refuses internal targets, lets public ones through, and connects to the address it
checked (DNS rebinding)."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from canary.netguard import UnsafeTarget, check_url, guarded_session


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost/hook",
        "http://[::1]/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://172.16.3.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
    ],
)
def test_internal_targets_are_refused(url):
    with pytest.raises(UnsafeTarget):
        check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(UnsafeTarget):
        check_url(url)


def test_credentials_in_url_are_refused():
    with pytest.raises(UnsafeTarget, match="credentials"):
        check_url("https://user:pw@8.8.8.8/")


def test_public_address_is_allowed():
    assert check_url("https://8.8.8.8/robot/send") == ["8.8.8.8"]


def test_loopback_is_allowed_only_when_asked():
    assert check_url("http://127.0.0.1:8080/", allow_loopback=True) == ["127.0.0.1"]
    with pytest.raises(UnsafeTarget):
        check_url("http://10.1.2.3/", allow_loopback=True)


def test_private_is_allowed_only_when_asked_and_link_local_never():
    assert check_url("http://10.1.2.3/", allow_private=True) == ["10.1.2.3"]
    with pytest.raises(UnsafeTarget, match="link-local"):
        check_url("http://169.254.169.254/", allow_private=True, allow_loopback=True)


class Recorder:
    """A loopback HTTP server that counts the requests it gets (the target a rebinding aims at)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hits: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.hits.append((self.path, self.headers.get("Host", "")))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rebinding_dns(monkeypatch):
    """A resolver for ``rebind.test`` that answers the first address once, then the second for good.

    Only the system resolver is replaced; every other name and IP literal resolves as usual.
    """
    real = socket.getaddrinfo
    answers: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_a_name_rebound_to_loopback_after_the_check_is_not_reached(rebinding_dns):
    """Public address to the check, 127.0.0.1 to any later lookup: the loopback server sees nothing."""
    loopback = Recorder()
    rebinding_dns.extend(["8.8.8.8", "127.0.0.1"])
    try:
        with pytest.raises(requests.RequestException):
            # The pinned connection goes to 8.8.8.8, which this offline machine cannot reach.
            guarded_session().get(f"http://rebind.test:{loopback.port}/", timeout=(1, 1))
    finally:
        loopback.stop()
    assert loopback.hits == []


def test_unpinned_requests_would_have_reached_the_loopback_server(rebinding_dns):
    """The attack is real: plain requests resolves again and lands on 127.0.0.1."""
    loopback = Recorder()
    rebinding_dns.extend(["8.8.8.8", "127.0.0.1"])
    try:
        check_url(f"http://rebind.test:{loopback.port}/")
        requests.get(f"http://rebind.test:{loopback.port}/", timeout=2)
    finally:
        loopback.stop()
    assert loopback.hits == [("/", f"rebind.test:{loopback.port}")]


def _non_loopback_ipv4() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header(rebinding_dns):
    """Same port on two interfaces: the allowed one answers the check, loopback every later lookup."""
    interface = _non_loopback_ipv4()
    if interface is None:
        pytest.skip("this machine has no non-loopback IPv4 interface")
    allowed = Recorder(host=interface)
    loopback = Recorder(port=allowed.port)
    rebinding_dns.extend([interface, "127.0.0.1"])
    try:
        answer = guarded_session(allow_private=True).get(f"http://rebind.test:{allowed.port}/x", timeout=5)
    finally:
        allowed.stop()
        loopback.stop()
    assert answer.text == "ok"
    assert allowed.hits == [("/x", f"rebind.test:{allowed.port}")]
    assert loopback.hits == []


def test_every_connection_is_checked_again(rebinding_dns):
    """A name that is loopback from the start is refused by the session itself, not only by callers."""
    rebinding_dns.append("127.0.0.1")
    with pytest.raises(UnsafeTarget, match="loopback"):
        guarded_session().get("http://rebind.test/", timeout=1)
