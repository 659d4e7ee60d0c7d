"""``manage.py add_channel --kind KIND --name NAME [--url URL] [--secret S] [--to ADDRESS]``.

Prints the new channel's id. Until a rule is written, the default rule sends every opened or
escalated incident and every strong signal of an active campaign to every enabled channel.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from canary.alerts.channel_setup import add_channel
from canary.alerts.models import ChannelKind


class Command(BaseCommand):
    help = "Add an alert channel and print its id."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=ChannelKind.values)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--url", default="", help="webhook, dingtalk, wecom, feishu, slack: the target URL"
        )
        parser.add_argument("--secret", default="", help="signing secret (required for webhook)")
        parser.add_argument("--to", default="", help="email: addresses (comma-separated); sms: E.164 number")
        parser.add_argument("--team", default="", help="team name (default: the only team)")

    def handle(self, *args, kind, name, url, secret, to, team, **options):
        try:
            channel = add_channel(kind, name, url=url, to=to, secret=secret, team=team)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(str(channel.pk))
