from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from undersigned.events.models import Event
from undersigned.statements.models import Statement


class Document(models.Model):
    """A PDF made by the worker: asked for in the dashboard, kept PAPER_KEEP_DAYS in
    PAPER_DIR, downloaded by the editors of its statement or its event. A delivery pack also
    keeps what its public check page shows (as_of, count, listed, sha256) after its file is
    gone."""

    class Kind(models.TextChoices):
        LEAFLET = "leaflet", _("leaflet")
        POSTER = "poster", _("poster")
        SHEET = "sheet", _("sign-up sheet")
        PACK = "pack", _("delivery pack")

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("document state", "waiting")
        MAKING = "making", pgettext_lazy("document state", "being made")
        READY = "ready", pgettext_lazy("document state", "ready")
        FAILED = "failed", pgettext_lazy("document state", "failed")
        # Its file was deleted: kept long enough, or a signer it named withdrew or was erased.
        DELETED = "deleted", pgettext_lazy("document state", "deleted")

    # A statement's, an event's, or both (an event's leaflet asking to sign its statement):
    # each one's Print page lists it. Only a leaflet or a poster is an event's alone.
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # What the dashboard's form asked for: languages, size, event (its pk, for the record: the
    # job prints `event`), addressee's language, cover letter (paper.jobs reads them).
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # The file's name in PAPER_DIR (random, never shown); empty while none is kept.
    file_name = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The class of the last failure, never its text.
    error = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The run making it now: a run that finds another's here (a second worker, or erasure
    # that started it again) throws its own file away.
    run = models.CharField(max_length=32, blank=True)
    # A delivery pack's figures, as printed on its last page and shown on its check page.
    as_of = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    listed = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("statement", "kind"), name="document_statement")]
        constraints = [
            models.CheckConstraint(
                condition=Q(statement__isnull=False)
                | Q(event__isnull=False, kind__in=("leaflet", "poster")),
                name="document_of_a_statement_or_an_event",
            )
        ]
        verbose_name = _("PDF document")
        verbose_name_plural = _("PDF documents")

    def __str__(self) -> str:
        of = f"event {self.event_id}" if self.statement_id is None else self.statement_id
        return f"{self.kind} {self.pk} of {of}"

    @property
    def path(self) -> Path | None:
        return Path(settings.PAPER_DIR) / self.file_name if self.file_name else None

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == self.State.READY else 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def checkable(self) -> bool:
        """A finished delivery pack: its public check page shows its figures."""
        return self.kind == self.Kind.PACK and bool(self.sha256) and self.finished_at is not None

    def download_name(self) -> str:
        stamp = (self.finished_at or self.created_at).strftime("%Y%m%d-%H%M")
        of = self.statement.slug if self.statement is not None else f"event-{self.event_id}"
        return f"{of}-{self.kind}-{stamp}.pdf"
