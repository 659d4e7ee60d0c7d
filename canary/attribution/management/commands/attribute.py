import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from canary.attribution import services
from canary.audit.services import cli_actor, record
from canary.campaigns.models import Campaign

BAR_WIDTH = 20


class Command(BaseCommand):
    help = (
        "Which node of a campaign leaks: ranked nodes with posterior, supporting decoys and an "
        "explanation, the PGM guilt baseline, the signal count and the noise-only posterior."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true", help="print the JSON document")
        parser.add_argument(
            "--lang", choices=services.LANGUAGES, default=None, help="language of explanations"
        )
        parser.add_argument("--limit", type=int, default=services.REPORT_LIMIT, help="ranked nodes shown")
        parser.add_argument(
            "--save",
            action="store_true",
            help="store a snapshot and open/update the incident above the threshold",
        )

    def handle(self, *args, **options):
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        lang = options["lang"] or settings.LANGUAGE_CODE
        if options["save"]:
            data = services.run_attribution(campaign, lang=lang)
        else:
            data = services.compute(campaign, lang=lang, limit=options["limit"]).report
        data["nodes"] = data["nodes"][: options["limit"]]
        record(
            "attribution.run", actor=cli_actor(), obj=campaign, saved=options["save"], signals=data["signals"]
        )
        if options["json"]:
            for row in data["nodes"]:
                row.pop("explanations", None)  # the requested language is in explanation/details
            data.pop("verdicts", None)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(self.table(data))

    def table(self, data: dict) -> str:
        """The verdict first (the most likely reading, "noise only" included), then the ranking;
        ``*`` marks nodes a surfaced decoy points at, which always rank above those none does."""
        lines = [
            f"campaign {data['campaign']}: {data['signals']} signals, "
            f"P(noise only) = {data['noise_only']:.3f}",
            data["verdict"],
            "",
            f"{'rank':>4}  {'node':<16} {'posterior':>9}  {'':<{BAR_WIDTH}}  {'decoys':>6}  {'PGM':>5}",
        ]
        for row in data["nodes"]:
            bar = "█" * round(row["posterior"] * BAR_WIDTH)
            guilt = data["baseline"].get(row["node"], 0.0)
            mark = "*" if row["supported"] else " "
            lines.append(
                f"{row['rank']:>4}{mark} {row['node']:<16} {row['posterior']:>9.3f}  {bar:<{BAR_WIDTH}}  "
                f"{len(row['supporting_decoys']):>6}  {guilt:>5.2f}"
            )
        if data["nodes"]:
            top = data["nodes"][0]
            lines += ["", top["explanation"], *(f"  - {line}" for line in top["details"])]
        if len(data.get("leak_set", [])) > 1:
            members = ", ".join(m["node"] for m in data["leak_set"])
            lines.append(f"leak set: {members} (P = {data['leak_set_posterior']:.3f})")
        return "\n".join(lines)
