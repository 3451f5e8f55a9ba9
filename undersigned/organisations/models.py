from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def local_media() -> FileSystemStorage:
    """Logos stay under MEDIA_ROOT whatever FILE_STORAGE says: the site (or the proxy) serves
    them from that folder, at this site's own address."""
    return FileSystemStorage()


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True, storage=local_media)
    # "#rrggbb", dark enough for white text on it (checked by the dashboard's form, see
    # undersigned.lib.colours); blank for the site's own accent.
    accent_colour = models.CharField(_("accent colour"), max_length=7, blank=True, default="")
    # Where it campaigns (ISO 3166-1 alpha-2, "PE"), blank if nowhere in particular: the region
    # of its statements' language in link previews (og:locale es_PE for a version tagged es).
    # A default in the database too: code from before the column (an older process during
    # an upgrade, a migration's historical model) inserts rows without it.
    country = models.CharField(_("country"), max_length=2, blank=True, default="", db_default="")
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def has_member(self, user: Any) -> bool:
        """Whether `user` (anonymous included) is one of its members, whatever the role: who
        may see its drafts at their public addresses."""
        return bool(user.is_authenticated and self.membership_set.filter(user_id=user.pk).exists())


class Membership(models.Model):
    class Role(models.TextChoices):
        # Everything, including the organisation's members and exports.
        OWNER = "owner", _("owner")
        # Writes and runs the organisation's statements, moderates and exports signatures.
        EDITOR = "editor", _("editor")
        # Sees the organisation's statements and figures; changes nothing, exports nothing.
        VIEWER = "viewer", _("viewer")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("organisation", "user"), name="one_membership_per_user")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    def can(self, role: str) -> bool:
        """At least `role`: owner > editor > viewer."""
        return RANK[self.role] >= RANK[role]


RANK: dict[str, int] = {
    Membership.Role.VIEWER: 1,
    Membership.Role.EDITOR: 2,
    Membership.Role.OWNER: 3,
}


# How long an invitation's link works.
INVITATION_LIFETIME = dt.timedelta(days=7)


def _in_a_week() -> dt.datetime:
    return timezone.now() + INVITATION_LIFETIME


class Invitation(models.Model):
    """An owner's invitation to join an organisation, sent by email. The link's token is kept
    only as its hash; the address is erased once the invitation is accepted or revoked."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    # Lower-cased; blank once no longer pending.
    email = models.EmailField(_("email"), blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # The language the email is written in: the inviting owner's at the time.
    language = models.CharField(max_length=35, default="en")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_in_a_week)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("organisation", "email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_pending_invitation_per_email",
            )
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk} @ {self.organisation_id}"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def usable(self) -> bool:
        return self.pending and self.expires_at > timezone.now()
