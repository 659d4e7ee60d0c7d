from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import record
from canary.phones.models import Provider
from canary.phones.numbers import sync
from canary.phones.providers import ProviderError


class Command(BaseCommand):
    help = "Import the numbers the provider account already owns into the canary pool."

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=[Provider.TWILIO], default=Provider.TWILIO)
        parser.add_argument(
            "--point-webhooks",
            action="store_true",
            help="also point every number's SMS/voice/status URLs at us",
        )

    def handle(self, *args, **options):
        try:
            report = sync(options["provider"], point_webhooks=options["point_webhooks"])
        except ProviderError as exc:
            raise CommandError(str(exc)) from exc
        record("number.sync", provider=options["provider"], added=report.added, updated=report.updated)
        for e164 in report.added:
            self.stdout.write(f"imported {e164}")
        for e164 in report.updated:
            self.stdout.write(f"updated {e164}")
        self.stdout.write(f"{len(report.added)} imported, {len(report.updated)} updated")
