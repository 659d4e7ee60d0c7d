from django.core.management.base import BaseCommand, CommandError

from canary.audit.services import cli_actor
from canary.campaigns.planner import SpecError, end

from ._common import get_campaign


class Command(BaseCommand):
    help = "End an active campaign; its canary numbers go into quarantine."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, **options):
        try:
            campaign = end(get_campaign(options["slug"]), actor=cli_actor())
        except SpecError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"campaign {campaign.slug} has ended")
