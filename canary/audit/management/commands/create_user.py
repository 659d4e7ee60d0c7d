from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from canary.audit.accounts import create_user
from canary.audit.roles import ROLES


class Command(BaseCommand):
    help = (
        "Create a console user in one role and print a one-time password; the user must choose "
        "a new password at first log-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--email", default="")

    def handle(self, username, role, email, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        user, password = create_user(username, role, email=email)
        self.stdout.write(f"Created {user.username} ({role}). One-time password (shown once): {password}")
