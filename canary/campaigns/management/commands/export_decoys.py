from django.core.management.base import BaseCommand

from canary.audit.services import record
from canary.campaigns.exports import write_registry_jsonl

from ._common import PlainOutput, get_campaign


class Command(BaseCommand):
    help = "Security-only registry of a campaign's decoys (JSON lines), audited."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        parser.add_argument("--out", help="file to write; default stdout")

    def handle(self, *args, **options):
        campaign = get_campaign(options["slug"])
        # Written piece by piece as the decoys are read: a million decoys never sit in memory.
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8") as fh:
                count = write_registry_jsonl(campaign, fh)
        else:
            count = write_registry_jsonl(campaign, PlainOutput(self.stdout))
        record("decoys.export", obj=campaign, format="jsonl", count=count, out=options["out"] or "stdout")
        self.stderr.write(f"{count} decoys exported")
