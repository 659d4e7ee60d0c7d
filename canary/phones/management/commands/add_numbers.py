from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import record
from canary.phones.models import Provider
from canary.phones.pool import NumberError, add_numbers


class Command(BaseCommand):
    help = "Register phone numbers the team already owns as canary numbers."

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="+", help="numbers, e.g. +8613800138000 or 13800138000")
        parser.add_argument("--provider", choices=Provider.values, default=Provider.MANUAL)

    def handle(self, *args, **options):
        try:
            added, known = add_numbers(options["numbers"], options["provider"])
        except NumberError as exc:
            raise CommandError(str(exc)) from exc
        for number in added:
            record("number.add", obj=number, provider=number.provider)
            self.stdout.write(f"added {number.e164} ({number.provider})")
        for e164 in known:
            self.stdout.write(f"already registered {e164}")
