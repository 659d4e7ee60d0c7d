import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import cli_actor
from canary.campaigns.planner import CampaignSpec, SpecError, create_campaign
from canary.phones.pool import NumberError


class Command(BaseCommand):
    help = "Create a campaign from a JSON spec and issue its decoys (the campaign stays a draft)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--spec",
            required=True,
            type=Path,
            help="JSON file: slug, name, carrier, nodes or "
            "node_kinds, decoys_per_node, strategy, label_template, starts_at, ends_at",
        )

    def handle(self, *args, **options):
        path: Path = options["spec"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read spec {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError(f"{path}: the spec must be a JSON object")
        try:
            summary = create_campaign(CampaignSpec.from_dict(data), actor=cli_actor())
        except SpecError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{path}: campaign not created") from exc
        except NumberError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(str(summary))
