from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import record
from canary.phones.models import CanaryNumber
from canary.phones.numbers import release
from canary.phones.pool import NumberError, to_e164
from canary.phones.providers import ProviderError


class Command(BaseCommand):
    help = (
        "Give numbers back to their provider. Only free numbers (never assigned, or out of their "
        "quarantine) are released: a number printed on decoys keeps ringing for months."
    )

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="+")

    def handle(self, *args, **options):
        failed = False
        for raw in options["numbers"]:
            try:
                number = CanaryNumber.objects.get(e164=to_e164(raw))
                release(number)
            except (NumberError, CanaryNumber.DoesNotExist, ProviderError) as exc:
                failed = True
                self.stderr.write(f"{raw}: {exc}")
                continue
            record("number.release", obj=number, provider=number.provider)
            self.stdout.write(f"released {number.e164}")
        if failed:
            raise CommandError("some numbers were not released")
