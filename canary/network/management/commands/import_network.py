from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from canary.network.services import NetworkImportError, import_network_bytes


class Command(BaseCommand):
    help = "Import or update the courier network from a CSV (code,name,kind,parent_code,province,city)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV in UTF-8, GBK or GB18030")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = import_network_bytes(data)
        except NetworkImportError as exc:
            for error in exc.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(f"{path}: {len(exc.errors)} problem(s); nothing was imported") from exc
        self.stdout.write(
            f"{path} ({result.encoding}): {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
