"""Where decoys may surface online (sources), what was fetched or uploaded (documents), and what
was found in it (sightings)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from canary.campaigns.models import Decoy


class SourceKind(models.TextChoices):
    HTTP_PAGE = "http_page", _("Web page")
    FEED = "feed", _("RSS/Atom feed")
    JSON_API = "json_api", _("JSON API")
    FOLDER = "folder", _("Watched folder")
    UPLOAD = "upload", _("Manual upload")


FETCHED_KINDS = (SourceKind.HTTP_PAGE, SourceKind.FEED, SourceKind.JSON_API)


class Source(models.Model):
    """A place watched on a schedule (or, for ``upload``, where analysts' bought dumps come from)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    path = models.CharField(_("folder"), max_length=500, blank=True, help_text=_("For watched folders"))
    follow_links = models.BooleanField(_("follow feed item links"), default=False)
    internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("Admins only: allows private and loopback addresses (an intranet forum, say)"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    every_minutes = models.PositiveIntegerField(_("fetch every (minutes)"), default=60)
    schedule = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("schedule"),
    )
    # Conditional GET: what the server said last time, sent back so it can answer 304.
    etag = models.CharField(_("ETag"), max_length=200, blank=True, editable=False)
    last_modified = models.CharField(_("Last-Modified"), max_length=100, blank=True, editable=False)
    # Watched folders: files changed after this POSIX time are new.
    folder_cursor = models.FloatField(_("folder cursor"), default=0.0, editable=False)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True, editable=False)
    last_status = models.CharField(_("last status"), max_length=100, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SCANNING = "scanning", _("Scanning")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Document(models.Model):
    """One fetched page or uploaded file, stored once (by content hash) before it is scanned."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file = models.FileField(_("file"), upload_to="sightings/", max_length=300)
    name = models.CharField(_("name"), max_length=300)
    size = models.BigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
        verbose_name=_("source"),
    )
    fetched_at = models.DateTimeField(_("fetched"), auto_now_add=True, db_index=True)
    seen_at = models.DateTimeField(
        _("obtained"),
        null=True,
        blank=True,
        help_text=_("When the dump was obtained or known to circulate; attribution uses it as first seen"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    # Indexes of the chunks already scanned: a chunk task that runs twice counts once.
    chunks_finished = models.JSONField(_("chunks scanned"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["-fetched_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name

    @property
    def chunks_done(self) -> int:
        return len(self.chunks_finished)

    @property
    def progress_percent(self) -> int:
        if self.status == DocumentStatus.DONE:
            return 100
        return int(100 * self.chunks_done / self.chunks_total) if self.chunks_total else 0

    @property
    def first_seen(self):
        """The time a sighting in this document counts from: the analyst's date, else the fetch."""
        return self.seen_at or self.fetched_at


class Strength(models.TextChoices):
    STRONG = "strong", _("Strong")
    WEAK = "weak", _("Weak")


class Sighting(models.Model):
    """One piece of evidence in a document at one place: the decoys it fits, by which tokens.

    Evidence that pins one decoy (a waybill number, an address, a name) names it in ``decoy``.
    Evidence that fits several (a canary phone is issued to thousands of decoys) is stored once
    per campaign, with those decoys as ``candidates`` and no ``decoy``: a row per candidate would
    grow with the square of the sharing (each row listing every candidate) — a few lines naming
    canary phones used to take hundreds of megabytes.
    """

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="sightings", verbose_name=_("document")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="sightings", verbose_name=_("campaign")
    )
    decoy = models.ForeignKey(
        "campaigns.Decoy",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sightings",
        verbose_name=_("decoy"),
        help_text=_("The decoy, when the evidence fits only one."),
    )
    kinds = models.JSONField(
        _("matched"), default=list, help_text=_("waybill, phone, name, address, masked…")
    )
    strength = models.CharField(_("strength"), max_length=8, choices=Strength.choices)
    # The campaign's decoys the evidence fits equally well; [decoy] when it pins one.
    candidates = models.JSONField(_("candidate decoys"), default=list)
    # Names the whole candidate set (all campaigns): the rows of one piece of evidence share it.
    evidence_key = models.CharField(_("evidence key"), max_length=80)
    location = models.CharField(_("location"), max_length=500)
    excerpt = models.TextField(_("excerpt"), blank=True)
    # Set once the sighting has been turned into an attribution signal: a re-scan adds nothing.
    signalled = models.BooleanField(_("signalled"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "location", "evidence_key", "campaign"], name="one_sighting_per_evidence"
            ),
        ]
        # The console and the API page through sightings newest first, by keyset on these two.
        indexes = [models.Index(fields=["created_at", "id"], name="sighting_newest_first")]

    def __str__(self) -> str:
        who = self.decoy_id if self.decoy_id else f"{self.candidate_count} decoys"
        return f"{who} @ {self.location}"

    @property
    @admin.display(description=_("number of candidates"))
    def candidate_count(self) -> int:
        return len(self.candidates)


def candidate_waybills(sightings: Iterable[Sighting]) -> dict[int, str]:
    """Waybill number by decoy id for every candidate of these sightings, in one lookup."""
    everyone = {ident for sighting in sightings for ident in sighting.candidates}
    return dict(Decoy.objects.values_by_id(everyone, "waybill_no"))
