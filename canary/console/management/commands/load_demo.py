import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from canary.audit.roles import SECURITY_GROUPS
from canary.audit.services import cli_actor
from canary.campaigns.models import Campaign
from canary.campaigns.planner import CampaignSpec, activate, create_campaign
from canary.demo.staging import ensure_twilio_token, token_path
from canary.network.services import import_network_bytes
from canary.phones.pool import add_numbers

DEMO = Path(__file__).resolve().parents[3] / "network" / "demo"
# Mainland mobiles, as a decoy to a mainland address must carry. The mainland has no range
# reserved for fiction: these belong to nobody on the team, so never print or ring demo labels.
DEMO_NUMBERS = [f"+8613900139{n:03d}" for n in range(100, 120)]


class Command(BaseCommand):
    help = "Load the demo network, demo canary numbers and an active demo campaign; create the admin login."

    def handle(self, *args, **options):
        for name in SECURITY_GROUPS:
            Group.objects.get_or_create(name=name)
        result = import_network_bytes((DEMO / "network.csv").read_bytes())
        self.stdout.write(f"demo network: {result.created} created, {result.updated + result.unchanged} kept")
        added, _known = add_numbers(DEMO_NUMBERS)
        self.stdout.write(f"demo canary numbers: {len(added)} added")
        spec = json.loads((DEMO / "campaign.json").read_text(encoding="utf-8"))
        if not Campaign.objects.filter(slug=spec["slug"]).exists():
            summary = create_campaign(CampaignSpec.from_dict(spec), actor=cli_actor())
            activate(summary.campaign, actor=cli_actor())
            self.stdout.write(str(summary))
        self._admin()
        if not settings.TWILIO_AUTH_TOKEN:
            ensure_twilio_token()
            self.stdout.write(
                f"demo Twilio token (signs the demo's SMS; make run passes it on): {token_path()}"
            )

    def _admin(self):
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write(
                "log in with your existing administrator (reset: python manage.py changepassword NAME)"
            )
            return
        # No default password anywhere: a fresh random one, shown once.
        password = secrets.token_urlsafe(12)
        users.create_superuser("admin", email="", password=password)
        self.stdout.write(f"created administrator 'admin' with password: {password}  (shown once)")
