import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from canary.audit.services import record
from canary.phones.models import Contact


def parse_since(value: str):
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r} is not an ISO date or date-time")
        moment = timezone.datetime.combine(day, timezone.datetime.min.time())
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def as_row(contact: Contact) -> dict:
    return {
        "provider": contact.provider,
        "provider_sid": contact.provider_sid,
        "from": contact.from_number,
        "to": contact.to_number,
        "kind": contact.kind,
        "source": contact.source,
        "received_at": timezone.localtime(contact.received_at).isoformat(),
        "processed": contact.processed_at is not None,
        "matched_decoys": sorted(d.waybill_no for d in contact.matched_decoys.all()),
        "signal_strength": contact.signal_strength,
        "body": contact.body,
        "transcript": contact.transcript,
        "recording_url": contact.recording_url,
    }


class Command(BaseCommand):
    help = "List stored phone contacts (oldest first) with the decoys they matched."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="ISO date or date-time (Asia/Shanghai when no offset)")
        parser.add_argument("--json", action="store_true", help="print a JSON array")

    def handle(self, *args, **options):
        contacts = Contact.objects.order_by("received_at", "id").prefetch_related("matched_decoys")
        if options["since"]:
            contacts = contacts.filter(received_at__gte=parse_since(options["since"]))
        rows = [as_row(c) for c in contacts]
        # Matched decoys are secret: listing them is audited like any other look at decoy data.
        record("contacts.list", since=options["since"] or "", count=len(rows))
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            matched = ",".join(row["matched_decoys"]) or "unmatched"
            strength = "" if row["signal_strength"] is None else f"{row['signal_strength']:.2f}"
            self.stdout.write(
                f"{row['received_at']}  {row['kind']:4}  {row['from']:>16} → {row['to']:<16}  "
                f"{strength:>4}  {matched}  {row['provider_sid']}"
            )
