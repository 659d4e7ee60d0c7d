from django.core.management.base import BaseCommand

from canary.alerts.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create the periodic alert tasks (digests, sweeper, heartbeats) if they are missing."

    def handle(self, *args, **options):
        self.stdout.write(f"created {ensure_schedules()} periodic task(s)")
