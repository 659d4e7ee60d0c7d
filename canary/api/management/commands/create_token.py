from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from canary.api.models import TokenScope
from canary.api.tokens import SCOPE_ROLE, TokenError, issue_token
from canary.audit.services import cli_actor


class Command(BaseCommand):
    help = "Create an API token for a user; the key is printed once, last, alone on its line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", required=True, choices=TokenScope.values)
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--expires", type=int, metavar="DAYS", help="expire after DAYS days")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="create the user (no password) in the role of the scope if it does not exist",
        )

    def handle(self, *args, **options):
        users = get_user_model()
        user = users.objects.filter(username=options["username"]).first()
        if user is None:
            if not options["create_user"]:
                raise CommandError(f"no user {options['username']!r} (use --create-user)")
            user = users.objects.create_user(options["username"])  # no usable password: API only
            user.groups.add(Group.objects.get_or_create(name=SCOPE_ROLE[options["scope"]])[0])
            self.stderr.write(f"created user {user.username} in role {SCOPE_ROLE[options['scope']]}")
        try:
            token, key = issue_token(
                user,
                options["scope"],
                name=options["name"],
                expires_in_days=options["expires"],
                actor=cli_actor(),
            )
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        expiry = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
        self.stdout.write(
            f"token {token.prefix} for {user.username}, scope {token.scope}{expiry} (shown once):"
        )
        self.stdout.write(key)
