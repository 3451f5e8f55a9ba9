"""Pictures an organisation uploads, for a statement's cover and inside its texts. The files
are the site's own re-encoding (undersigned.lib.pictures): no metadata of the upload is kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.lib import pictures
from undersigned.lib.markdown import escape_text
from undersigned.organisations.models import Organisation


class Picture(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="pictures"
    )
    # The largest rendition's stored name (`pictures/<key>-<w>x<h>.<ext>`); the smaller ones
    # follow from it.
    name = models.CharField(max_length=100, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt = models.CharField(
        _("description"),
        max_length=500,
        help_text=_(
            "What the picture shows, for people who cannot see it: read aloud by screen "
            "readers and shown when it does not load."
        ),
    )
    credit = models.CharField(
        _("credit"), max_length=200, blank=True, help_text=_("Who took it, e.g. “Photo: Ana Q.”")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("picture")
        verbose_name_plural = _("pictures")

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        """The largest rendition's address on this site: the one written in Markdown."""
        return pictures.URL_PREFIX + self.name.rsplit("/", 1)[-1]

    @property
    def source(self) -> pictures.Source | None:
        """Its sizes for an <img>; None for a row whose name is not one of ours (written by
        hand, or by an older version), which pages then leave out rather than fail on."""
        return pictures.source(self.url)

    @property
    def stored_names(self) -> list[str]:
        match = pictures.NAME.match(self.name.rsplit("/", 1)[-1])
        if match is None:
            return [self.name]
        return [
            f"{pictures.FOLDER}/{pictures.file_name(match['key'], w, h, ext)}"
            for w, h in pictures.renditions(self.width, self.height)
            for ext in (match["ext"], "webp")
        ]

    @property
    def markdown(self) -> str:
        """How to show it inside a statement or an update (the credit becomes its caption)."""
        alt = escape_text(" ".join(self.alt.split()))
        if self.credit:
            credit = " ".join(self.credit.split()).replace("\\", "\\\\").replace('"', '\\"')
            return f'![{alt}]({self.url} "{credit}")'
        return f"![{alt}]({self.url})"
