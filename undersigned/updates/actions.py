"""Changes to followers: each atomic, each audited without personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from undersigned.abuse import limits, quota
from undersigned.audit.models import AuditLog, record
from undersigned.jobs import scrub
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox
from undersigned.statements import privacy
from undersigned.statements.forms import FOLLOW_CONSENT_VERSION
from undersigned.statements.models import Signature, Statement
from undersigned.updates.emails import CONFIRM_FOLLOWER
from undersigned.updates.models import Delivery, Follower, FollowerToken


def follow(
    statement: Statement, language: str, email: str, *, rate_key: str = "", email_key: str = ""
) -> None:
    """Ask to follow the statement's updates. Returns nothing on purpose: what the caller can
    observe must not depend on what the address did before.

    A new address gets a pending follower and a confirmation email; a pending one is updated
    (language, consent, the time left to confirm) and gets another email; one that
    unsubscribed is pending again and must confirm again. One that follows already is left as
    it is and gets nothing. Past the client's limits (`rate_key`: counted with its sign
    requests; `email_key`: the emails it made the site send) or the address's daily email cap,
    nothing is written or sent.
    """
    canonical = canonical_email(email)
    # Keyed hashes first: the day's key may have to be written, outside this transaction.
    address_key = quota.key_for(canonical)
    token = new_token()
    now = timezone.now()
    fields = {
        "email": email,
        "language": language,
        "consent_version": FOLLOW_CONSENT_VERSION,
        "consent_at": now,
        # Asking again restarts the time there is to confirm.
        "created_at": now,
        "confirmed_at": None,
        "unsubscribed_at": None,
    }
    with transaction.atomic():
        if rate_key and limits.beyond_limits([rate_key], now, other=[email_key])[0]:
            return
        # The follower's row is locked (or inserted) before the address's quota row, whichever
        # way: two requests taking them in opposite orders deadlock on PostgreSQL.
        found = (
            Follower.objects.select_for_update()
            .filter(statement=statement, email_canonical=canonical)
            .first()
        )
        if found is not None and found.is_following:
            return
        before_insert = transaction.savepoint()
        if found is None:
            follower, created = _insert(statement, canonical, fields)
            if not created and follower.is_following:
                return
        else:
            follower, created = found, False
        if not quota.take([address_key])[0]:
            # Nothing stored past the cap: not even a new row.
            transaction.savepoint_rollback(before_insert)
            return
        if not created:
            Follower.objects.filter(pk=follower.pk).update(**fields)
        FollowerToken.objects.create(
            follower=follower, token_hash=hash_token(token), created_at=now
        )
        outbox.enqueue(CONFIRM_FOLLOWER, {"follower": follower.pk, "token": token})


def _insert(statement: Statement, canonical: str, fields: dict[str, Any]) -> tuple[Follower, bool]:
    """A new follower, or (not created) the row another request inserted meanwhile, locked."""
    try:
        with transaction.atomic():
            follower = Follower.objects.create(
                statement=statement, email_canonical=canonical, **fields
            )
            return follower, True
    except IntegrityError:
        follower = Follower.objects.select_for_update().get(
            statement=statement, email_canonical=canonical
        )
        return follower, False


def follower_for_token(statement: Statement, token: str) -> Follower | None:
    """The pending follower of this statement a confirmation link names, while it is valid."""
    cutoff = timezone.now() - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    return (
        Follower.objects.select_related("statement__organisation")
        .filter(
            statement=statement,
            confirmed_at__isnull=True,
            tokens__token_hash=hash_token(token),
            tokens__created_at__gte=cutoff,
        )
        .first()
    )


def confirm_follower(follower: Follower) -> bool:
    """Confirm a pending follower: updates are emailed to it from now on. Its links are spent.
    True if this call confirmed it; confirming twice confirms once."""
    with transaction.atomic():
        changed = Follower.objects.filter(pk=follower.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        FollowerToken.objects.filter(follower=follower.pk).delete()
        if changed:
            record("follower.confirmed", statement=follower.statement, object_id=follower.pk)
    return bool(changed)


def unsubscribe_follower(follower: Follower) -> None:
    """No more updates, at once; the follower's address is kept only as long as retention
    keeps the statement's signers (it says they asked to stop)."""
    with transaction.atomic():
        changed = Follower.objects.filter(pk=follower.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
        if changed:
            record("follower.unsubscribed", statement=follower.statement, object_id=follower.pk)


def erase(followers: QuerySet[Follower]) -> int:
    """Delete these followers with everything linked to them: link tokens, queued emails,
    deliveries, demo mails, and the audit log's link to the row. Followers have no count to
    keep. Returns how many. Call inside a transaction."""
    rows = list(followers.values_list("pk", "email"))
    if not rows:
        return 0
    ids = [pk for pk, _email in rows]
    # Queued emails, and demo mode's copies of those sent (they hold the address and links).
    outbox.forget("follower", ids, emails=[email for _pk, email in rows])
    AuditLog.objects.filter(action__startswith="follower.", object_id__in=ids).update(
        object_id=None
    )
    # Tokens and deliveries go with the rows (on_delete=CASCADE).
    Follower.objects.filter(pk__in=ids).delete()
    # The deleted bytes leave the database's files soon after (jobs/scrub.py).
    scrub.after_erasure()
    return len(ids)


scrub.holds_personal_data(Follower)


def erase_followers(statement: Statement, *, reason: str, actor: object = None) -> int:
    """Delete every follower of the statement (see erase); audited with the number only."""
    with transaction.atomic():
        deleted = erase(Follower.objects.filter(statement=statement))
        if deleted:
            record(
                "followers.erased", actor=actor, statement=statement, reason=reason, deleted=deleted
            )
    return deleted


def purge_unconfirmed(now: dt.datetime | None = None) -> int:
    """Delete followers nobody confirmed within UNCONFIRMED_DAYS, and their queued emails: an
    address someone typed in without its owner's consent is not kept."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    with transaction.atomic():
        stale = Follower.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff)
        ids = list(stale.order_by("pk").values_list("pk", flat=True)[:10_000])
        if not ids:
            return 0
        deleted = erase(Follower.objects.filter(pk__in=ids))
        record("followers.purged_unconfirmed", count=deleted)
    return deleted


def stop_updates(statement: Statement, email_canonical: str) -> None:
    """No more updates about the statement to this address: from its signatures and from its
    confirmed following both, as the next update would go to whichever still asks."""
    for signature in Signature.objects.filter(
        statement=statement, email_canonical=email_canonical, wants_updates=True
    ):
        privacy.set_updates(signature, False)
    for follower in Follower.objects.following().filter(
        statement=statement, email_canonical=email_canonical
    ):
        unsubscribe_follower(follower)


# Followers, and the record of which updates were emailed to whom, go with the signers.
privacy.keeps_personal_data(
    privacy.KeptElsewhere(
        of_signatures=lambda ids: Delivery.objects.filter(signature__in=ids).delete(),
        of_statement=lambda statement, reason, actor: erase_followers(
            statement, reason=reason, actor=actor
        ),
        held=lambda: Exists(Follower.objects.filter(statement=OuterRef("pk"))),
    )
)
