from django.core.management.base import BaseCommand

from canary.audit.services import record
from canary.campaigns.exports import write_orders

from ._common import PlainOutput, get_campaign


class Command(BaseCommand):
    help = "Order file (CSV or JSON) for injecting a campaign's decoys into order systems (audited)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--out", help="file to write; default stdout")

    def handle(self, *args, **options):
        campaign = get_campaign(options["slug"])
        if options["out"]:
            # UTF-8 with BOM: order systems and Excel on Chinese Windows read it without garbling.
            encoding = "utf-8-sig" if options["format"] == "csv" else "utf-8"
            with open(options["out"], "w", encoding=encoding, newline="") as fh:
                count = write_orders(campaign, fh, options["format"])
        else:
            count = write_orders(campaign, PlainOutput(self.stdout), options["format"])
        record(
            "orders.export",
            obj=campaign,
            format=options["format"],
            count=count,
            out=options["out"] or "stdout",
        )
        self.stderr.write(f"{count} orders exported")
