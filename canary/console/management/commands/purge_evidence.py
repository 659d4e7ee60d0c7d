import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from canary.audit.services import cli_actor
from canary.console.retention import plan_purge, purge_evidence


class Command(BaseCommand):
    help = (
        "Retention: delete evidence (contacts, lookups, documents and sightings, signals, "
        "attribution snapshots) recorded before DATE (Asia/Shanghai midnight). Campaigns with an "
        "open incident keep their signals. Without --yes only the counts are shown. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD")
        parser.add_argument("--yes", action="store_true", help="really delete")

    def handle(self, before, yes, **options):
        try:
            day = dt.date.fromisoformat(before)
        except ValueError as error:
            raise CommandError(f"--before must be a date like 2026-01-31: {error}") from error
        cutoff = timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_default_timezone())
        if cutoff > timezone.now():
            raise CommandError("--before is in the future; nothing recorded later than now can be purged")
        plan = purge_evidence(cutoff, actor=cli_actor()) if yes else plan_purge(cutoff)
        for name, count in plan.counts.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write("deleted (audited)" if yes else "dry run: add --yes to delete")
