"""Who an update is emailed to: signers who asked for the organisation's updates and
confirmed followers, each address once, never one that bounced; and the links that stop it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.utils.crypto import salted_hmac

from undersigned.lib.emails import canonical_email
from undersigned.statements.models import Signature
from undersigned.updates.models import Bounce, Follower, Update

_UNSUBSCRIBE_SALT = "undersigned.updates.unsubscribe"


def signers_of(update: Update) -> Any:
    """Signers who asked for the organisation's updates and still do."""
    return Signature.objects.filter(
        statement_id=update.statement_id,
        state=Signature.State.CONFIRMED,
        erased_at__isnull=True,
        wants_updates=True,
    )


def followers_of(update: Update) -> Any:
    return Follower.objects.following().filter(statement_id=update.statement_id)


def recipient_count(update: Update) -> int:
    """How many a mailing of this update would go to now, before bounces are left out."""
    signers = signers_of(update)
    followers = followers_of(update).exclude(email_canonical__in=signers.values("email_canonical"))
    return int(signers.count()) + int(followers.count())


def bounce_key(email: str) -> str:
    """A keyed hash of the address, the same from day to day: what Bounce stores."""
    return salted_hmac("undersigned.updates.bounce", canonical_email(email)).hexdigest()


def mark_bounced(emails: Iterable[str], source: str) -> int:
    """Send no more updates to these addresses; return how many were new."""
    keys = {bounce_key(email) for email in emails if email.strip()}
    known = set(Bounce.objects.filter(key__in=keys).values_list("key", flat=True))
    Bounce.objects.bulk_create(
        [Bounce(key=key, source=source) for key in keys - known], ignore_conflicts=True
    )
    return len(keys - known)


def unsubscribe_token(kind: str, pk: int) -> str:
    """A signed token naming a signature ("s") or a follower ("f"): it only unsubscribes."""
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(f"{kind}{pk}")


def unsubscribe_target(token: str) -> tuple[str, int] | None:
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    if len(value) < 2 or value[0] not in "sf" or not value[1:].isdigit():
        return None
    return value[0], int(value[1:])
