from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import record
from canary.phones.models import Provider
from canary.phones.numbers import provision
from canary.phones.providers import ProviderError


class Command(BaseCommand):
    help = "Buy canary numbers from a provider, point them at our webhooks and add them to the pool."

    def add_arguments(self, parser):
        parser.add_argument(
            "--country", required=True, help="ISO country code, e.g. GB, US (CN for aliyun_pls)"
        )
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--area-code", default=None, help="area code (Twilio) or city name (aliyun_pls)")
        parser.add_argument(
            "--provider", choices=[Provider.TWILIO, Provider.ALIYUN_PLS], default=Provider.TWILIO
        )

    def handle(self, *args, **options):
        if options["count"] < 1:
            raise CommandError("--count must be at least 1")
        try:
            bought = provision(
                options["provider"], options["country"], options["count"], options["area_code"]
            )
        except ProviderError as exc:
            raise CommandError(str(exc)) from exc
        for number in bought:
            record("number.provision", obj=number, provider=number.provider, provider_sid=number.provider_sid)
            self.stdout.write(f"bought {number.e164} ({number.provider} {number.provider_sid})")
