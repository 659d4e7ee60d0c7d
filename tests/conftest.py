"""Fixtures shared by every area: a small courier network, canary numbers, a campaign."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canary import celery_app
from canary.audit.roles import SECURITY_ANALYST


def security_user(username: str, role: str = SECURITY_ANALYST, **fields):
    """A user in a security role (``SECURITY_ANALYST`` or ``SECURITY_ADMIN``)."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, **fields)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


DEMO = Path(__file__).resolve().parent.parent / "canary" / "network" / "demo"
# Mainland mobiles, as decoys to mainland addresses must carry (the planner refuses others).
TEST_NUMBERS = [f"+8613900139{n:03d}" for n in range(200, 260)]


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process unless a test needs the real queue (marked ``worker``)."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIGHTINGS_MATCHER_CACHE = str(tmp_path / "matcher-cache")
    settings.STORAGES = {
        **settings.STORAGES,
        "matchers": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.SIGHTINGS_MATCHER_CACHE},
        },
    }
    from canary.sightings import matching

    matching.forget_in_memory()  # each test has its own database and matcher store


@pytest.fixture
def network(db):
    from canary.network.services import import_network_bytes

    import_network_bytes((DEMO / "network.csv").read_bytes())
    from canary.network.models import Node

    return {n.code: n for n in Node.objects.all()}


@pytest.fixture
def numbers(db):
    from canary.phones.pool import add_numbers

    added, _ = add_numbers(TEST_NUMBERS[:20])
    return added


@pytest.fixture
def campaign_spec():
    return {
        "slug": "test-depots",
        "name": "测试活动",
        "carrier": "sf",
        "node_kinds": ["depot"],
        "decoys_per_node": 3,
        "strategy": "isolated",
        "label_template": "76x130",
        "starts_at": "2026-11-01T09:00:00+08:00",
        "ends_at": "2027-02-01T00:00:00+08:00",
        "seed": 7,
    }


@pytest.fixture
def campaign(network, numbers, campaign_spec):
    from canary.campaigns.planner import CampaignSpec, activate, create_campaign

    summary = create_campaign(CampaignSpec.from_dict(campaign_spec), actor="test")
    return activate(summary.campaign, actor="test")


@pytest.fixture
def spec_file(tmp_path, campaign_spec):
    def write(**overrides):
        path = tmp_path / "spec.json"
        path.write_text(json.dumps({**campaign_spec, **overrides}, ensure_ascii=False), encoding="utf-8")
        return path

    return write
