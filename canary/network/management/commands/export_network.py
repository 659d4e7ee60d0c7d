import sys

from django.core.management.base import BaseCommand

from canary.network.services import export_network


class Command(BaseCommand):
    help = "Export the courier network as CSV (the same columns import_network reads)."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="file to write (UTF-8 with BOM so Excel reads it); default stdout")

    def handle(self, *args, **options):
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8-sig", newline="") as fh:
                count = export_network(fh)
            self.stderr.write(f"{count} nodes written to {options['out']}")
        else:
            export_network(sys.stdout)
