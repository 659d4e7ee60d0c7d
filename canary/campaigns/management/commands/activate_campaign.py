from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import cli_actor
from canary.campaigns.planner import SpecError, activate

from ._common import get_campaign


class Command(BaseCommand):
    help = "Activate a draft campaign: its decoys are now watched. Prints the seeding-plan check."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--lang", choices=["zh-hans", "en"], default=None, help="language of the advice")

    def handle(self, *args, **options):
        try:
            campaign = activate(get_campaign(options["slug"]), actor=cli_actor())
        except SpecError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"campaign {campaign.slug} is active")
        lang = options["lang"] or settings.LANGUAGE_CODE
        for line in plan_report_lines(campaign.plan_report, lang):
            self.stdout.write(line)


def plan_report_lines(report: dict, lang: str) -> list[str]:
    """The seeding-plan report, a few lines for the operator (empty if the check did not run)."""
    if not report:
        return ["seeding-plan check: not available (see the log)"]
    lines = [f"seeding-plan check: expected top-1 accuracy {report['expected_top1']:.0%}"]
    if report.get("expected_top1_after_fixes") is not None:
        lines[0] += f", {report['expected_top1_after_fixes']:.0%} with the fixes below"
    lines[0] += (
        f" ({report['worlds']} simulated leaks, q={report['assumed_leak_rate']}, "
        f"f={report['assumed_false_rate']})"
    )
    for group in report["confusable"]:
        lines.append(f"  confusable (saw the same decoys): {', '.join(group)}")
    if report["see_everything"]:
        lines.append(f"  sees almost every decoy: {', '.join(report['see_everything'])}")
    if report["unseeded"]:
        lines.append(f"  sees no decoy: {', '.join(report['unseeded'])}")
    text = "text_en" if lang == "en" else "text_zh"
    lines.extend(f"  - {s[text]}" for s in report["suggestions"])
    return lines
