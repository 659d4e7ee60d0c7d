from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import record
from canary.campaigns.exports import write_labels

from ._common import get_campaign


class Command(BaseCommand):
    help = "Printable label PDF of a campaign's decoys (audited)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--privacy", action="store_true", help="privacy labels: 张*伟, 138****5678")
        parser.add_argument("--template", choices=["76x130", "100x180"], help="default: the campaign's")
        parser.add_argument("--node", help="only the decoys seeded for this node code")

    def handle(self, *args, **options):
        campaign = get_campaign(options["slug"])
        try:
            with open(options["out"], "wb") as fh:
                pages = write_labels(
                    campaign,
                    fh,
                    privacy=options["privacy"],
                    template=options["template"],
                    node_code=options["node"],
                )
        except OSError as exc:
            raise CommandError(f"cannot write {options['out']}: {exc}") from exc
        record(
            "labels.export",
            obj=campaign,
            privacy=options["privacy"],
            pages=pages,
            node=options["node"] or "",
            out=str(options["out"]),
        )
        self.stdout.write(f"{pages} labels written to {options['out']}")
