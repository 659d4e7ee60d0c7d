from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import record
from canary.phones.gateways import register_number
from canary.phones.models import Provider
from canary.phones.pool import NumberError, add_numbers


class Command(BaseCommand):
    help = (
        "Register phone numbers the team already owns as canary numbers; a SIM-gateway number "
        "names the gateway's device id and the SIM slot it sits in."
    )

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="+", help="numbers, e.g. +8613800138000 or 13800138000")
        parser.add_argument("--provider", choices=Provider.values, default=Provider.MANUAL)
        parser.add_argument("--device", help="SIM gateway: the device id its events carry (deviceId)")
        parser.add_argument("--sim", type=int, help="SIM gateway: the SIM slot, counted from 1")

    def handle(self, *args, **options):
        if options["provider"] == Provider.SMSGATE or options["device"] or options["sim"] is not None:
            self._gateway_number(options)
            return
        try:
            added, known = add_numbers(options["numbers"], options["provider"])
        except NumberError as exc:
            raise CommandError(str(exc)) from exc
        for number in added:
            record("number.add", obj=number, provider=number.provider)
            self.stdout.write(f"added {number.e164} ({number.provider})")
        for e164 in known:
            self.stdout.write(f"already registered {e164}")

    def _gateway_number(self, options):
        if options["provider"] != Provider.SMSGATE:
            raise CommandError("--device and --sim go with --provider smsgate")
        if len(options["numbers"]) != 1 or not options["device"] or options["sim"] is None:
            raise CommandError("a SIM-gateway number is registered one at a time with --device and --sim")
        try:
            number, added = register_number(options["numbers"][0], options["device"], options["sim"])
        except NumberError as exc:
            raise CommandError(str(exc)) from exc
        record(
            "number.add", obj=number, provider=number.provider, device=options["device"], sim=options["sim"]
        )
        verb = "added" if added else "mapped"
        self.stdout.write(f"{verb} {number.e164} (smsgate, device {options['device']}, SIM {options['sim']})")
