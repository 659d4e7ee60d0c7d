"""The SSRF guard refuses internal targets and lets public ones through (no network needed)."""

import pytest

from canary.alerts.ssrf import UnsafeTarget, check_url


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
