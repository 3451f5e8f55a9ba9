"""Emailing an update to everyone who asked for the organisation's updates, once each.

Asking for a mailing queues one job that writes a Delivery row per recipient. Workers then
take deliveries in small groups whenever no job is waiting (confirmation emails come first),
within the organisation's sending rate, and send them over SMTP connections that stay open.

Once each, across crashes: a mail server delivers nothing until it has the whole message,
ended by a line holding a single dot (RFC 5321 §4.1.1.4); a connection that drops before that
line sends nothing. So each group of messages is written to its connections up to, not
including, that line; then the group is recorded as sent in one transaction; then the dots go.
A worker killed before the commit sends none of the group, and the deliveries are taken again
once their lease runs out; one killed after it has written the dots has sent them all. The
commit records only the deliveries the worker still holds (a slow worker's lease may have run
out and another worker taken them, or the person been erased): the others' messages are left
unfinished. The one gap is a crash between the commit and the last dot's write, a few writes
to local sockets (every dot is written before any answer is read). A message the server
refuses at the dot is put back as not sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import smtplib
import threading
from collections.abc import Iterable, Sequence
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import connection, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from undersigned.abuse.counters import numbers
from undersigned.abuse.models import RateCounter
from undersigned.jobs.queue import handler, idle_work, refused_for_good
from undersigned.lib.emails import canonical_email
from undersigned.lib.languages import ui_language
from undersigned.mailings.emails import (
    MESSAGES_PER_CONNECTION,
    SMTP_BACKEND,
    _header_text,
    _sender,
)
from undersigned.statements.models import Signature
from undersigned.updates.models import Bounce, Delivery, Follower, Update, UpdateMailing

log = logging.getLogger(__name__)

# Messages held open together, one per SMTP connection, and recorded as sent in one commit.
GROUP = 10
# Groups a worker takes at once (one lease, one look at who still wants them).
ROUNDS = 4
# Tries of one delivery before it is marked failed.
MAX_ATTEMPTS = 5
# While the mail server cannot be reached at all, nothing is wrong with the delivery itself:
# it waits longer (backoff 30 s doubling up to an hour: about a day in all) before giving up.
MAX_ATTEMPTS_UNREACHABLE = 30
_UNSUBSCRIBE_SALT = "undersigned.updates.unsubscribe"
# Placeholders in a message rendered once per language, replaced for each recipient.
_TO = "recipient@placeholder.invalid"
_TOKEN = "UNSUBSCRIBETOKENPLACEHOLDER"  # noqa: S105 - a placeholder, not a secret
_ID = "DELIVERYIDPLACEHOLDER"


# Recipients and consent


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


def recipient_count(update: Update) -> int:
    """How many a mailing of this update would go to now, before bounces are left out."""
    signers = signers_of(update)
    followers = followers_of(update).exclude(email_canonical__in=signers.values("email_canonical"))
    return int(signers.count()) + int(followers.count())


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


# Messages


@dataclasses.dataclass(frozen=True)
class _Template:
    """A message rendered once for one update and language, recipient details left out."""

    sender: str
    data: bytes | None  # None: render for each recipient (an address bytes cannot carry)
    update: int
    language: str


_templates: dict[tuple[int, str], _Template] = {}
_templates_lock = threading.Lock()


def _message(
    update: Update, language: str, to: str, token: str, delivery: int | str
) -> EmailMultiAlternatives:
    statement = update.statement
    version = update.version_for(language)
    if version is None:
        raise LookupError("no version")
    ui = ui_language(version.language, statement.default_language)
    unsubscribe_url = settings.SITE_URL + reverse("unsubscribe", args=(token,))
    context = {
        "update": update,
        "version": version,
        "statement": statement,
        "organisation": statement.organisation,
        "update_url": settings.SITE_URL
        + reverse("update", args=(statement.slug, version.language, update.pk)),
        "unsubscribe_url": unsubscribe_url,
        "statement_title": statement_title(update, language),
        "language": ui,
    }
    with translation.override(ui):
        subject = _header_text(version.title)
        text = render_to_string("emails/update-body.txt", context)
        html = render_to_string("emails/update-body.html", context)
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    message = EmailMultiAlternatives(
        subject,
        text,
        _sender(statement.organisation.name),
        [to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": formataddr(
                (_header_text(statement.organisation.name)[:60], f"{statement.slug}.{domain}")
            ),
            "Message-ID": f"<update-{update.pk}-{delivery}@{domain}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def statement_title(update: Update, language: str) -> str:
    versions = {version.language: version for version in update.statement.versions.all()}
    version = versions.get(language) or versions.get(update.statement.default_language)
    return version.title if version else update.statement.slug


def _template(update: Update, language: str) -> _Template:
    key = (update.pk, language)
    with _templates_lock:
        found = _templates.get(key)
    if found is not None:
        return found
    message = _message(update, language, _TO, _TOKEN, _ID)
    data: bytes | None = message.message().as_bytes(linesep="\r\n")
    # Every placeholder must have come through as written (no encoding split it), or each
    # message is rendered whole instead.
    if data is not None and (
        data.count(_TO.encode()) != 1
        or data.count(_ID.encode()) != 1
        or data.count(_TOKEN.encode()) < 3
    ):
        data = None
    found = _Template(sanitize_address(message.from_email, "utf-8"), data, update.pk, language)
    with _templates_lock:
        if len(_templates) > 200:
            _templates.clear()
        _templates[key] = found
    return found


@dataclasses.dataclass
class _Outgoing:
    delivery: int
    to: str
    data: bytes
    sender: str


def _outgoing(delivery: int, update: Update, language: str, email: str, token: str) -> _Outgoing:
    template = _template(update, language)
    # Addresses were checked when given; only one beyond plain ASCII needs encoding.
    to = email if email.isascii() and email.isprintable() else sanitize_address(email, "utf-8")
    if template.data is not None and to.isascii():
        data = (
            template.data.replace(_TO.encode(), to.encode())
            .replace(_TOKEN.encode(), token.encode())
            .replace(_ID.encode(), str(delivery).encode())
        )
    else:
        message = _message(update, language, email, token, delivery)
        data = message.message().as_bytes(linesep="\r\n")
    return _Outgoing(delivery, to, data, template.sender)


# Sending


class _Connections(threading.local):
    """This thread's open SMTP connections, kept between groups."""

    def __init__(self) -> None:
        self.open: list[Any] = []


_pool = _Connections()


def _connection() -> Any:
    """An open SMTP connection from the pool, or a new one (Django's backend opens it, with
    TLS and login as configured)."""
    if _pool.open:
        return _pool.open.pop()
    backend = get_connection(SMTP_BACKEND)
    backend.open()
    return backend


def _give_back(backend: Any, *, sent: bool) -> None:
    """Back to the pool, or closed once it has carried MESSAGES_PER_CONNECTION emails."""
    backend.messages_sent = getattr(backend, "messages_sent", 0) + sent
    if backend.messages_sent >= MESSAGES_PER_CONNECTION:
        _drop(backend)
        return
    _pool.open.append(backend)


def close_connections() -> None:
    while _pool.open:
        backend = _pool.open.pop()
        try:
            backend.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken connection
            pass


def _lease() -> dt.timedelta:
    # A message takes at most four commands, each allowed EMAIL_TIMEOUT; a group's messages
    # wait on each other's, and a lease holds ROUNDS groups.
    return dt.timedelta(seconds=ROUNDS * 4 * settings.EMAIL_TIMEOUT + 10)


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


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


def _failed(
    delivery: Delivery,
    exc: BaseException,
    *,
    permanent: bool,
    recorded: bool = False,
    unreachable: bool = False,
) -> None:
    """Put the delivery back to be tried later, or give up on it. Before it was recorded as
    sent, only while this worker holds it (another may have sent it since); after, it is
    this worker's anyway. `unreachable`: the mail server could not be reached at all."""
    attempts = delivery.attempts + 1
    give_up = permanent or attempts >= (MAX_ATTEMPTS_UNREACHABLE if unreachable else MAX_ATTEMPTS)
    log.warning("delivery %s failed, attempt %s: %s", delivery.pk, attempts, _describe(exc))
    mine = Q(pk=delivery.pk, state=Delivery.State.SENT) if recorded else _held(delivery)
    Delivery.objects.filter(mine).update(
        state=Delivery.State.FAILED if give_up else Delivery.State.QUEUED,
        attempts=attempts,
        error=_describe(exc),
        locked_until=None,
        sent_at=None,
        run_after=timezone.now() + dt.timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1))),
    )


def _start(backend: Any, outgoing: _Outgoing) -> None:
    """Everything of the message but its final dot."""
    smtp = backend.connection
    smtp.ehlo_or_helo_if_needed()
    options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") and not outgoing.data.isascii() else []
    code, reply = smtp.mail(outgoing.sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, outgoing.sender)
    code, reply = smtp.rcpt(outgoing.to)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({outgoing.to: (code, reply)})
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    data = smtplib._quote_periods(outgoing.data)  # type: ignore[attr-defined]
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(data)


def _end(backend: Any) -> None:
    """The final dot: from here the server delivers the message."""
    backend.connection.send(b".\r\n")


def _answer(backend: Any) -> None:
    code, reply = backend.connection.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _send_smtp(group: list[tuple[Delivery, _Outgoing]]) -> None:
    started: list[tuple[Delivery, Any]] = []
    unreachable: BaseException | None = None
    for delivery, outgoing in group:
        if unreachable is not None:
            # One try to reach the server per group: the rest are retried with it.
            _failed(delivery, unreachable, permanent=False, unreachable=True)
            continue
        try:
            backend = _connection()
        except Exception as exc:  # noqa: BLE001 - the server is down: retried later
            unreachable = exc
            _failed(delivery, exc, permanent=False, unreachable=True)
            continue
        try:
            _start(backend, outgoing)
        except smtplib.SMTPRecipientsRefused as exc:
            _failed(delivery, exc, permanent=refused_for_good(exc))
            _reset(backend)
            continue
        except Exception as exc:  # noqa: BLE001 - anything else is retried
            _failed(delivery, exc, permanent=False)
            _drop(backend)
            continue
        started.append((delivery, backend))
    if not started:
        return
    # Recorded as sent before the dots go: see the module's docstring.
    recorded = _record_sent([d for d, _b in started])
    # Every dot first, the answers after: the time between the commit and the last dot is
    # a few writes to sockets, not a round trip per message.
    ended: list[tuple[Delivery, Any]] = []
    for delivery, backend in started:
        if delivery.pk not in recorded:
            # No longer this worker's: the message is left unfinished, so never delivered.
            _abandon(backend)
            continue
        try:
            _end(backend)
        except Exception as exc:  # noqa: BLE001 - the connection broke: retried
            _failed(delivery, exc, permanent=False, recorded=True)
            _drop(backend)
            continue
        ended.append((delivery, backend))
    for delivery, backend in ended:
        try:
            _answer(backend)
        except smtplib.SMTPDataError as exc:
            _failed(delivery, exc, permanent=500 <= exc.smtp_code < 600, recorded=True)
            _reset(backend)
            continue
        except Exception as exc:  # noqa: BLE001 - no answer to a whole message
            # The server may have taken it: sending again could make it twice, so it stays
            # recorded as sent.
            log.warning("delivery %s: no answer after its end: %s", delivery.pk, _describe(exc))
            _drop(backend)
            continue
        _give_back(backend, sent=True)


def _reset(backend: Any) -> None:
    try:
        backend.connection.rset()
        _give_back(backend, sent=False)
    except Exception:  # noqa: BLE001
        _drop(backend)


def _abandon(backend: Any) -> None:
    """Close a connection in the middle of a message without a word more: QUIT would be
    taken as part of the message's text."""
    try:
        backend.connection.close()
    except Exception:  # noqa: BLE001, S110
        pass
    backend.connection = None


def _drop(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # noqa: BLE001, S110
        pass


def _send_other(group: list[tuple[Delivery, EmailMultiAlternatives]]) -> None:
    """Any other email backend (the demo mailbox, the tests' memory): each sent in the
    transaction that records it, so a backend that writes to the database is exactly once."""
    backend = get_connection()
    for delivery, message in group:
        message.connection = backend
        try:
            with transaction.atomic():
                if _record_sent([delivery]):
                    message.send()
        except Exception as exc:  # noqa: BLE001 - recorded and retried
            _failed(delivery, exc, permanent=False)


def send_some(limit: int = GROUP * ROUNDS) -> int:
    """Send the next few update emails, in groups of GROUP; return how many deliveries were
    settled (0: nothing was due)."""
    deliveries = _claim(limit)
    if not deliveries:
        close_connections()
        return 0
    sending, skipped = _load(deliveries)
    if skipped:
        # One claim, one lease: those still held by this worker.
        Delivery.objects.filter(
            pk__in=skipped, state=Delivery.State.QUEUED, locked_until=deliveries[0].locked_until
        ).update(state=Delivery.State.SKIPPED, locked_until=None)
    smtp = settings.EMAIL_BACKEND == SMTP_BACKEND
    group: list[tuple[Delivery, Any]] = []
    for delivery, email, language, token in sending:
        update = _update_of(delivery.mailing_id)
        try:
            group.append(
                (
                    delivery,
                    _outgoing(delivery.pk, update, language, email, token)
                    if smtp
                    else _message(update, language, email, token, delivery.pk),
                )
            )
        except Exception as exc:  # noqa: BLE001 - an address that cannot be written
            _failed(delivery, exc, permanent=True)
    for start in range(0, len(group), GROUP):
        if smtp:
            _send_smtp(group[start : start + GROUP])
        else:
            _send_other(group[start : start + GROUP])
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
