"""Deployment security: `check --deploy` is clean with production settings from the environment,
every page carries a Content-Security-Policy, and no template needs inline script."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "canary.example.com",
    "PUBLIC_BASE_URL": "https://canary.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only the given environment (plus the test services)."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
        "CANARY_VAR_DIR": env.pop("CANARY_VAR_DIR"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={k: v for k, v in environment.items() if v},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings_from_the_environment(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(60),
        CANARY_VAR_DIR=str(tmp_path),
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_the_embedded_default_leaves_off(tmp_path):
    """The embedded default is plain http on loopback: the deploy check says what to switch on."""
    result = manage("check", "--deploy", CANARY_VAR_DIR=str(tmp_path))
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr + result.stdout


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(ROOT) for p in (ROOT / "templates").rglob("*.html")), ids=str
)
def test_no_template_needs_inline_script(template):
    text = (ROOT / template).read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not EVENT_HANDLER.search(text), "inline event handler: use a data attribute and static JS"
    assert not SCRIPT_URL.search(text)
