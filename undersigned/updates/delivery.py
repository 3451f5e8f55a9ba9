"""Emailing an update to everyone who asked for the organisation's updates, once each: the
mailing's progress, one Delivery row per recipient.

Asking for a mailing queues one job that writes a Delivery row per recipient
(undersigned.updates.recipients). Workers then take deliveries in small groups whenever no job
is waiting (confirmation emails come first), within the organisation's sending rate, and hand
them to the outbox's `send_once`, which records each as sent here in the same step as it
finishes the message: once each, across crashes. The commit records only the deliveries the
worker still holds (a slow worker's lease may have run out and another worker taken them, or
the person been erased) and whose person still wants the updates.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from undersigned.abuse.counters import numbers
from undersigned.abuse.models import RateCounter
from undersigned.jobs.queue import describe, handler, idle_work, next_try
from undersigned.mailings import outbox
from undersigned.statements.models import Signature
from undersigned.updates.emails import update_email
from undersigned.updates.models import Bounce, Delivery, Follower, Update, UpdateMailing
from undersigned.updates.recipients import (
    bounce_key,
    followers_of,
    signers_of,
    unsubscribe_token,
)

log = logging.getLogger(__name__)

# Groups of the outbox's size a worker takes at once (one lease, one look at who still wants
# them).
ROUNDS = 4
GROUP = outbox.GROUP


# Asking for a mailing


class MailingError(Exception):
    pass


def request_mailing(update: Update, *, actor: Any) -> UpdateMailing:
    """Email a published update to its recipients, once: the rows are written by a job."""
    from undersigned.audit.models import record
    from undersigned.jobs.queue import enqueue

    if update.published_at is None:
        raise MailingError("draft")
    with transaction.atomic():
        mailing, created = UpdateMailing.objects.get_or_create(
            update=update, defaults={"requested_by_id": getattr(actor, "pk", None)}
        )
        if not created:
            raise MailingError("already")
        enqueue("updates.prepare", {"mailing": mailing.pk}, priority=1)
        record(
            "update.mailing_requested",
            actor=actor,
            statement=update.statement,
            object_id=update.pk,
        )
    return mailing


@handler("updates.prepare")
def prepare(payload: dict[str, Any]) -> None:
    """A Delivery row for each recipient, in one statement per kind; safe to run twice."""
    mailing = UpdateMailing.objects.select_related("update").filter(pk=payload["mailing"]).first()
    if mailing is None or mailing.prepared_at is not None:
        return
    update = mailing.update
    table = connection.ops.quote_name(Delivery._meta.db_table)
    signers = signers_of(update).values("pk")
    followers = (
        followers_of(update)
        .exclude(email_canonical__in=signers_of(update).values("email_canonical"))
        .values("pk")
    )
    with transaction.atomic():
        for column, chosen in (("signature_id", signers), ("follower_id", followers)):
            select, params = chosen.query.sql_with_params()
            connection.cursor().execute(
                f"INSERT INTO {table} (mailing_id, {column}, state, attempts, error) "  # noqa: S608
                # "WHERE true": SQLite's parser needs it before ON CONFLICT after a SELECT.
                f"SELECT %s, pk, %s, 0, '' FROM ({select}) AS chosen WHERE true "
                "ON CONFLICT DO NOTHING",
                [mailing.pk, Delivery.State.QUEUED, *params],
            )
        UpdateMailing.objects.filter(pk=mailing.pk).update(prepared_at=timezone.now())


def _lease() -> dt.timedelta:
    return outbox.sending_time(GROUP * ROUNDS)


_mailings: dict[int, Update] = {}
_mailings_lock = threading.Lock()


def _update_of(mailing_id: int) -> Update:
    """The mailing's update with its statement, organisation and versions, kept by this
    process while it sends: the email carries the update as it was when sending began here."""
    with _mailings_lock:
        found = _mailings.get(mailing_id)
    if found is None:
        found = (
            Update.objects.select_related("statement__organisation")
            .prefetch_related("versions", "statement__versions")
            .get(mailing__pk=mailing_id)
        )
        with _mailings_lock:
            if len(_mailings) > 100:
                _mailings.clear()
            _mailings[mailing_id] = found
    return found


def _claim(limit: int) -> list[Delivery]:
    """Lease up to `limit` due deliveries of one mailing, within its organisation's rate. A
    mailing whose organisation is at its rate waits; the next organisation's goes on."""
    now = timezone.now()
    due = Q(state=Delivery.State.QUEUED) & (Q(run_after__isnull=True) | Q(run_after__lte=now))
    free = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    limited: set[int] = set()
    for mailing_id in (
        UpdateMailing.objects.filter(prepared_at__isnull=False, finished_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        ids = list(
            Delivery.objects.filter(due & free, mailing_id=mailing_id)
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            _finish_mailings({mailing_id})
            continue
        organisation_id = _update_of(mailing_id).statement.organisation_id
        if organisation_id in limited:
            continue
        claimed = _take(ids, organisation_id, now)
        if claimed is not None:
            return claimed
        limited.add(organisation_id)
    return []


def _take(ids: list[int], organisation_id: int, now: dt.datetime) -> list[Delivery] | None:
    """Lease those of `ids` the organisation's rate allows and no other worker took; None if
    the rate allows none."""
    with transaction.atomic():
        window = int(now.timestamp()) // 60 * 60
        counted = numbers(
            RateCounter, "window_start", window, [f"updates:{organisation_id}"] * len(ids)
        )
        allowed = [
            pk for pk, n in zip(ids, counted, strict=True) if n <= settings.UPDATE_EMAILS_PER_MINUTE
        ]
        if not allowed:
            return None
        table = connection.ops.quote_name(Delivery._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        lease = now + _lease()
        with connection.cursor() as cursor:
            # Conditional: only those still free; another worker may have taken some first.
            cursor.execute(
                f"UPDATE {table} SET locked_until = %s "  # noqa: S608 - the model's table
                f"WHERE id IN ({', '.join(['%s'] * len(allowed))}) AND state = %s "
                "AND (locked_until IS NULL OR locked_until <= %s) "
                "RETURNING id, mailing_id, signature_id, follower_id, attempts",
                [adapt(lease), *allowed, Delivery.State.QUEUED, adapt(now)],
            )
            rows = cursor.fetchall()
    # The lease is also what says, later, that a delivery is still this worker's.
    return [
        Delivery(
            pk=pk,
            mailing_id=mailing,
            signature_id=signature,
            follower_id=follower,
            attempts=attempts,
            state=Delivery.State.QUEUED,
            locked_until=lease,
        )
        for pk, mailing, signature, follower, attempts in sorted(rows)
    ]


def _held(delivery: Delivery) -> Q:
    """Still leased to the worker that has `delivery`: queued, with the same lease. One whose
    lease ran out may have been taken (and sent) by another worker; one erased is gone."""
    return Q(pk=delivery.pk, state=Delivery.State.QUEUED, locked_until=delivery.locked_until)


def _still_wanted_sql() -> tuple[str, list[str]]:
    """A condition on a delivery row: its person still asks for the updates (bounces aside:
    see _load). Correlated by the row's own keys, so it costs the same however many signed."""
    quote = connection.ops.quote_name
    delivery = quote(Delivery._meta.db_table)
    signature = quote(Signature._meta.db_table)
    follower = quote(Follower._meta.db_table)
    sql = (
        f"(EXISTS (SELECT 1 FROM {signature} s WHERE s.id = {delivery}.signature_id "  # noqa: S608
        "AND s.state = %s AND s.erased_at IS NULL AND s.wants_updates) "
        f"OR EXISTS (SELECT 1 FROM {follower} f WHERE f.id = {delivery}.follower_id "
        "AND f.confirmed_at IS NOT NULL AND f.unsubscribed_at IS NULL))"
    )
    return sql, [Signature.State.CONFIRMED]


def _record_sent(deliveries: Sequence[Delivery]) -> set[int]:
    """Record as sent those of `deliveries` this worker still holds and whose person still
    asks for the updates, in one transaction; return their ids. Only those may be sent. Those
    unsubscribed since _load read them are skipped."""
    if not deliveries:
        return set()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    wanted, wanted_params = _still_wanted_sql()
    recorded: set[int] = set()
    leases = {delivery.locked_until for delivery in deliveries}
    with transaction.atomic(), connection.cursor() as cursor:
        for lease in leases:
            ids = [d.pk for d in deliveries if d.locked_until == lease]
            cursor.execute(
                f"UPDATE {table} SET state = %s, sent_at = %s, locked_until = NULL "  # noqa: S608
                f"WHERE id IN ({', '.join(['%s'] * len(ids))}) AND state = %s "
                f"AND locked_until = %s AND {wanted} RETURNING id",
                [
                    Delivery.State.SENT,
                    adapt(timezone.now()),
                    *ids,
                    Delivery.State.QUEUED,
                    adapt(lease),
                    *wanted_params,
                ],
            )
            sent = {row[0] for row in cursor.fetchall()}
            recorded |= sent
            if len(sent) < len(ids):
                # Those still held but not recorded no longer want the updates.
                Delivery.objects.filter(
                    pk__in=[pk for pk in ids if pk not in sent],
                    state=Delivery.State.QUEUED,
                    locked_until=lease,
                ).update(state=Delivery.State.SKIPPED, locked_until=None)
    return recorded


def _load(deliveries: Sequence[Delivery]) -> tuple[list[tuple[Delivery, str, str, str]], list[int]]:
    """(delivery, address, language, unsubscribe token) for each still to send, and the ids of
    those to skip: no longer consenting, erased, or bounced."""
    signatures = {
        pk: (email, language)
        for pk, email, language in Signature.objects.filter(
            pk__in=[d.signature_id for d in deliveries if d.signature_id],
            state=Signature.State.CONFIRMED,
            erased_at__isnull=True,
            wants_updates=True,
        ).values_list("pk", "email", "language")
    }
    followers = {
        pk: (email, language)
        for pk, email, language in Follower.objects.filter(
            pk__in=[d.follower_id for d in deliveries if d.follower_id],
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        ).values_list("pk", "email", "language")
    }
    found: list[tuple[Delivery, str, str, str]] = []
    for delivery in deliveries:
        kind, pk = (
            ("s", delivery.signature_id) if delivery.signature_id else ("f", delivery.follower_id)
        )
        person = (signatures if kind == "s" else followers).get(pk or 0)
        if person is not None and pk is not None:
            found.append((delivery, person[0], person[1], unsubscribe_token(kind, pk)))
    bounced = set(
        Bounce.objects.filter(
            key__in=[bounce_key(email) for _d, email, _l, _t in found]
        ).values_list("key", flat=True)
    )
    sending = [entry for entry in found if bounce_key(entry[1]) not in bounced]
    kept = {entry[0].pk for entry in sending}
    return sending, [d.pk for d in deliveries if d.pk not in kept]


def _failed(delivery: Delivery, exc: BaseException, recorded: bool) -> None:
    """Put the delivery back to be tried later, or give up on it (jobs.queue.next_try, the
    policy of every email). Before it was recorded as sent, only while this worker holds it
    (another may have sent it since); after, it is this worker's anyway."""
    attempts = delivery.attempts + 1
    retry_at = next_try(attempts, exc)
    log.warning("delivery %s failed, attempt %s: %s", delivery.pk, attempts, describe(exc))
    mine = Q(pk=delivery.pk, state=Delivery.State.SENT) if recorded else _held(delivery)
    Delivery.objects.filter(mine).update(
        state=Delivery.State.QUEUED if retry_at else Delivery.State.FAILED,
        attempts=attempts,
        error=describe(exc),
        locked_until=None,
        sent_at=None,
        run_after=retry_at or timezone.now(),
    )


def send_some(limit: int = GROUP * ROUNDS) -> int:
    """Send the next few update emails; return how many deliveries were settled (0: nothing
    was due)."""
    deliveries = _claim(limit)
    if not deliveries:
        return 0
    sending, skipped = _load(deliveries)
    if skipped:
        # One claim, one lease: those still held by this worker.
        Delivery.objects.filter(
            pk__in=skipped, state=Delivery.State.QUEUED, locked_until=deliveries[0].locked_until
        ).update(state=Delivery.State.SKIPPED, locked_until=None)
    by_id = {delivery.pk: delivery for delivery, _email, _language, _token in sending}
    batch: list[tuple[int, outbox.Email]] = []
    for delivery, email, language, token in sending:
        update = _update_of(delivery.mailing_id)
        try:
            batch.append((delivery.pk, update_email(update, language, email, token, delivery.pk)))
        except LookupError as exc:  # the update has no version left to send
            _failed(delivery, exc, False)
    outbox.send_once(
        batch,
        record=lambda ids: _record_sent([by_id[pk] for pk in ids]),
        failed=lambda pk, exc, recorded: _failed(by_id[pk], exc, recorded),
    )
    if len(deliveries) < limit:
        _finish_mailings({d.mailing_id for d in deliveries})
    return len(deliveries)


def _finish_mailings(mailings: set[int]) -> None:
    for mailing in mailings:
        if not Delivery.objects.filter(mailing_id=mailing, state=Delivery.State.QUEUED).exists():
            UpdateMailing.objects.filter(pk=mailing, finished_at__isnull=True).update(
                finished_at=timezone.now()
            )


idle_work(send_some)


def progress(mailing: UpdateMailing) -> dict[str, int]:
    """How many deliveries are in each state."""
    counts = dict.fromkeys(Delivery.State.values, 0)
    rows = (
        Delivery.objects.filter(mailing=mailing)
        .values_list("state")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    counts.update(dict(rows))
    return counts
