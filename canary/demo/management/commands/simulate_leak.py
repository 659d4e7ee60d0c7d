import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from canary.audit.services import cli_actor, record
from canary.demo import forum, leak, staging
from canary.queue import publish

POLL_SECONDS = 2


class Command(BaseCommand):
    help = (
        "Play an insider leak at one node of a campaign: scam SMS to its decoys' canary numbers, "
        "signed and posted to the console's Twilio hook at PUBLIC_BASE_URL, and a dump of its "
        "decoys on a local forum page that a watched source polls. Then follow the console until "
        "the node is ranked first and an alert was sent on the demo channel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign slug")
        parser.add_argument("--node", required=True, help="code of the leaking node")
        parser.add_argument("--sms", type=int, default=2, help="scam SMS sent to canary numbers")
        parser.add_argument("--dump", type=int, default=3, help="decoys in the dump posted on the forum")
        parser.add_argument("--forum-port", type=int, default=8401, help="loopback port of the forum")
        parser.add_argument("--timeout", type=int, default=120, help="seconds to wait for the outcome")
        parser.add_argument(
            "--serve",
            action="store_true",
            help="keep serving the forum after the leak was found (make run does: the source stays healthy)",
        )

    def handle(self, *args, **options):
        if options["sms"] < 0 or options["dump"] < 0 or options["sms"] + options["dump"] == 0:
            raise CommandError("--sms and --dump must not be negative, and not both 0")
        try:
            played = leak.plan(options["campaign"], options["node"], max(options["sms"], options["dump"]))
        except leak.LeakError as exc:
            raise CommandError(str(exc)) from exc
        started = timezone.now()
        record("demo.simulate_leak", actor=cli_actor(), obj=played.campaign, node=played.node.code)
        channel = staging.ensure_alerting()
        self.stdout.write(
            f"insider at {played.node.code} {played.node.name}: {len(played.decoys)} decoys taken"
        )

        self._wait_for_console(options["timeout"])
        server = self._forum(options["forum_port"])
        try:
            try:
                self._play(played, started, channel, server, options)
            except CommandError as exc:
                if server is None or not options["serve"]:
                    raise
                # Beside the console (make run), a failed play must not stop the forum, or the
                # whole process group with it: say what went wrong and keep serving.
                self.stderr.write(f"simulate_leak: {exc}")
            if server is not None and options["serve"]:
                self.stdout.write(f"forum served at {server.url} (Ctrl+C to stop)")
                while True:
                    time.sleep(3600)
        finally:
            if server is not None:
                server.stop()

    def _play(self, played: leak.Leak, started, channel, server: forum.Forum | None, options) -> None:
        sids = self._send_sms(played, options["sms"], started)
        if options["dump"]:
            url = server.url if server else f"http://127.0.0.1:{options['forum_port']}/"
            self._post_dump(played, options["dump"], started, url)
        outcome = self._follow(played, started, sids, options["timeout"])
        self._report(played, outcome, channel)

    def _wait_for_console(self, timeout: int) -> None:
        """``make run`` starts this beside the console: wait until the console answers."""
        deadline = time.monotonic() + timeout
        while not leak.console_answers():
            if time.monotonic() > deadline:
                raise CommandError(f"the console at {settings.PUBLIC_BASE_URL} does not answer")
            time.sleep(POLL_SECONDS)

    def _forum(self, port: int) -> forum.Forum | None:
        """Start the forum, or leave it to the one already serving the folder on that port."""
        try:
            server = forum.Forum(staging.forum_folder(), port)
        except OSError:
            self.stdout.write(f"forum: port {port} is taken, posting to the forum already running there")
            return None
        self.stdout.write(f"forum: {server.url}")
        return server

    def _send_sms(self, played: leak.Leak, count: int, started) -> list[str]:
        token = staging.ensure_twilio_token()
        rng = random.Random(f"{played.campaign.slug}:{played.node.code}")
        sids = []
        for n, decoy in enumerate(played.decoys[:count]):
            params = leak.sms_params(decoy, f"{started:%Y%m%d%H%M%S}{n:03d}{played.node.pk:06d}", rng)
            try:
                status = leak.send_sms(params, token)
            except OSError as exc:
                raise CommandError(
                    f"the console at {settings.PUBLIC_BASE_URL} does not answer: {exc}"
                ) from exc
            if status == 403:
                raise CommandError(
                    "the console refused the signed SMS (HTTP 403): it must verify with the same "
                    f"TWILIO_AUTH_TOKEN (the demo's is in {staging.token_path()}; make run passes it on)"
                )
            if status >= 400:
                raise CommandError(f"the console answered the SMS hook with HTTP {status}")
            sids.append(params["MessageSid"])
            self.stdout.write(f"SMS to canary number {params['To']}: HTTP {status}")
        return sids

    def _post_dump(self, played: leak.Leak, count: int, started, url: str) -> None:
        decoys = played.decoys[:count]
        forum.post(
            staging.forum_folder(),
            f"{started:%Y%m%d%H%M%S}-{played.node.code}",
            f"出售新鲜快递单号 {len(decoys)} 条（样例），量大从优",
            leak.dump_text(decoys),
        )
        source = staging.ensure_source(url)
        # The source polls every minute; ask for a fetch now as well, as "fetch now" in the console.
        publish("sightings.fetch_source", source.pk)
        self.stdout.write(f"dump of {len(decoys)} records posted; source {source.name!r} polls it")

    def _follow(self, played: leak.Leak, started, sids: list[str], timeout: int) -> leak.Progress:
        deadline = time.monotonic() + timeout
        shown = None
        while True:
            now = leak.progress(played, started, sids)
            line = (
                f"contacts {now.contacts}/{len(sids)}, sightings {now.sightings}, "
                f"rank {now.rank or '-'}, incident {'#' + str(now.incident.pk) if now.incident else '-'}, "
                f"alerts sent {now.alerts_sent}"
            )
            if line != shown:
                self.stdout.write(line)
                shown = line
            if now.done:
                return now
            if time.monotonic() > deadline:
                raise CommandError(
                    f"not found within {timeout} s ({line}): is the worker running (make run starts it)?"
                )
            time.sleep(POLL_SECONDS)

    def _report(self, played: leak.Leak, outcome: leak.Progress, channel) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"leaking node found: {played.node.code} {played.node.name} ranked "
                f"{'first' if outcome.rank == 1 else 'in the joint leak ' + ', '.join(outcome.leak_set)}; "
                f"incident #{outcome.incident.pk}; alert sent on {channel.name!r} ({channel.target})"
            )
        )
        self.stdout.write(f"console: {settings.PUBLIC_BASE_URL}/attribution/{played.campaign.slug}/")
