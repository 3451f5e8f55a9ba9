"""The outbox: every email the site sends is made and sent here, and nowhere else.

Each app registers the kinds of email it sends: three templates per kind
(`emails/<kind>-subject.txt`, `-body.txt`, `-body.html`, in the app's templates folder) and a
function that, given queued payloads, says what to send now (an `Email`, or None when there is
nothing left to send: a signature withdrawn meanwhile, say). The app queues an email with
`enqueue(kind, payload)` in the transaction that writes the data the email is about; the worker
sends it, over one pool of SMTP connections per thread, retrying with back-off
(`jobs.queue.next_try`). A send whose progress an app keeps in its own rows (an update to
thousands, `undersigned.updates.delivery`) goes through `send_once` instead.

The outbox knows nothing of signatures, followers or invitations: payloads are primary keys
and tokens, and the kinds' functions turn them into emails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import transaction

from undersigned.jobs import queue, scrub
from undersigned.jobs.models import Job
from undersigned.mailings import compose, smtp
from undersigned.mailings.compose import Email
from undersigned.mailings.models import DemoMail

__all__ = ["Email", "enqueue", "enqueue_many", "register", "send", "send_once"]

log = logging.getLogger(__name__)

# The job kind of an email kind: "mail.confirm_signature".
_PREFIX = "mail."

Load = Callable[[list[dict[str, Any]]], list[Email | None]]


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    name: str
    load: Load
    # Lower is sent first: a signer waiting for a confirmation link comes before others.
    priority: int


_KINDS: dict[str, Kind] = {}


def register(name: str, load: Load, *, priority: int = 0) -> None:
    """Register a kind of email: `load(payloads)` returns, for each queued payload, the Email
    to send now or None. It may read all of a batch's payloads in one query."""
    kind = Kind(name, load, priority)
    _KINDS[name] = kind
    queue.handler(_PREFIX + name)(functools.partial(_run, kind))


def enqueue(kind: str, payload: dict[str, Any]) -> None:
    """Queue one email of `kind`. Call inside the transaction that writes what it is about;
    the payload holds primary keys and any link token, never whole objects."""
    queue.enqueue(_PREFIX + kind, payload, priority=_KINDS[kind].priority)


def enqueue_many(
    kind: str, payloads: Sequence[dict[str, Any]], *, after: Sequence[dt.datetime | None] = ()
) -> None:
    """Queue one email of `kind` per payload, in one statement, each to send now or, where
    `after` (one per payload) gives a time, once it has passed."""
    queue.enqueue_many(_PREFIX + kind, payloads, priority=_KINDS[kind].priority, after=after)


# Demo mode's copies of sent emails hold addresses and names, deleted by forget below.
scrub.holds_personal_data(DemoMail)


def forget(field: str, ids: Iterable[int], emails: Iterable[str] = ()) -> None:
    """Erasure: drop the queued emails whose payload names one of `ids` as `field`, and the
    demo mailbox's copies of what was sent to `emails`."""
    Job.objects.filter(kind__startswith=_PREFIX, **{f"payload__{field}__in": list(ids)}).delete()
    addresses = {email for email in emails if email}
    if addresses:
        DemoMail.objects.filter(to__in=addresses).delete()


def queued(field: str, pk: int) -> list[tuple[str, Any]]:
    """(kind, queued at) of each email still waiting whose payload names `pk` as `field`."""
    return [
        (kind.removeprefix(_PREFIX), at)
        for kind, at in Job.objects.filter(kind__startswith=_PREFIX, **{f"payload__{field}": pk})
        .order_by("created_at")
        .values_list("kind", "created_at")
    ]


# How long a batch's emails, loaded together before the first is sent, stand in for loading
# each again just before it is sent: one withdrawn meanwhile is sent nothing once this passed.
BATCH_FRESH_SECONDS = 1.0


class _Batch(threading.local):
    def __init__(self) -> None:
        self.loaded_at = 0.0
        # id(payload) -> (payload, its email): the payload kept, so that its id stays its own.
        self.emails: dict[int, tuple[dict[str, Any], Email | None]] = {}


_batch = _Batch()


@queue.before_batch
def _load_batch(jobs: list[Job]) -> None:
    """The emails of a batch, loaded with one call per kind instead of one per email."""
    payloads: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        name = job.kind.removeprefix(_PREFIX)
        if name in _KINDS and job.kind.startswith(_PREFIX):
            payloads.setdefault(name, []).append(job.payload)
    found: dict[int, tuple[dict[str, Any], Email | None]] = {}
    for name, chosen in payloads.items():
        for payload, email in zip(chosen, _KINDS[name].load(chosen), strict=True):
            found[id(payload)] = (payload, email)
    _batch.emails = found
    _batch.loaded_at = time.monotonic()


def _run(kind: Kind, payload: dict[str, Any]) -> None:
    entry = _batch.emails.pop(id(payload), None)
    if (
        entry is not None
        and entry[0] is payload
        and time.monotonic() - _batch.loaded_at < BATCH_FRESH_SECONDS
    ):
        email = entry[1]
    else:
        (email,) = kind.load([payload])
    if email is not None:
        send(email)


class Unwritable(Exception):
    """An email that cannot be composed (an address no encoding can carry, a template that
    fails): never retried."""


def _outgoing(email: Email) -> tuple[str, str, bytes]:
    """Envelope sender, envelope recipient and the message's bytes."""
    try:
        sender, data = compose.composed(email)
        to = (
            email.to
            if email.to.isascii() and email.to.isprintable()
            else sanitize_address(email.to, "utf-8")
        )
    except Exception as exc:
        # An address no encoding carries, a template that fails: sending again cannot mend it.
        raise Unwritable(type(exc).__name__) from exc
    return sender, to, data


def send(email: Email) -> None:
    """Send one email now: over this thread's SMTP connections, or through the configured
    backend when it is not SMTP (the demo mailbox, the tests' memory). Raises what went wrong,
    for the job to be retried."""
    if not smtp.over_smtp():
        compose.render(email).send()
        return
    sender, to, data = _outgoing(email)
    backend = smtp.connection()
    try:
        backend.client.sendmail(sender, [to], data)
    except Exception:
        smtp.drop(backend)
        raise
    smtp.give_back(backend, sent=True)


# Messages held open together, one per connection, and recorded as sent in one commit.
GROUP = 10


def sending_time(messages: int) -> dt.timedelta:
    """The longest `send_once` may take over `messages` emails: in each group, each waits on at
    most four replies (MAIL, RCPT, DATA, its end), each allowed EMAIL_TIMEOUT. A lease on them
    must outlast it, or another worker would take them and send them twice."""
    groups = -(-messages // GROUP)
    return dt.timedelta(seconds=groups * 4 * settings.EMAIL_TIMEOUT + 10)


def send_once(
    batch: Sequence[tuple[int, Email]],
    record: Callable[[list[int]], set[int]],
    failed: Callable[[int, BaseException, bool], None],
) -> None:
    """Send each email of `batch` (keyed by an id of the caller's) at most once, even if the
    worker is killed at any point.

    A mail server delivers nothing until it has the whole message, ended by a line holding a
    single dot (RFC 5321 4.1.1.4); a connection that drops before that line sends nothing. So
    each group of messages is written to its own connections up to, not including, that line;
    then `record(ids)` records the group as sent in one transaction and returns the ids it
    recorded (those still the caller's to send); then the dots go, every one before any answer
    is read. A worker killed before the commit sends none of the group, one killed after it has
    written the dots has sent them all: the one gap is a crash between the commit and the last
    dot's write, a few writes to local sockets. Messages not recorded are left unfinished, so
    never delivered. `failed(id, error, recorded)` is told of each that failed, and whether it
    had been recorded as sent (a message refused at its dot is put back as not sent).

    With a backend other than SMTP, each email is sent in the transaction that records it.
    """
    if not smtp.over_smtp():
        _send_each_recorded(batch, record, failed)
        return
    ready: list[tuple[int, tuple[str, str, bytes]]] = []
    for key, email in batch:
        try:
            ready.append((key, _outgoing(email)))
        except Unwritable as exc:
            failed(key, exc, False)
    for start in range(0, len(ready), GROUP):
        _send_group(ready[start : start + GROUP], record, failed)


def _send_group(
    group: list[tuple[int, tuple[str, str, bytes]]],
    record: Callable[[list[int]], set[int]],
    failed: Callable[[int, BaseException, bool], None],
) -> None:
    started: list[tuple[int, smtp.SMTPBackend]] = []
    unreachable: BaseException | None = None
    for key, (sender, to, data) in group:
        if unreachable is not None:
            # One try to reach the server per group: the rest are retried with it.
            failed(key, unreachable, False)
            continue
        try:
            backend = smtp.connection()
        except Exception as exc:  # noqa: BLE001 - the server is down: retried later
            unreachable = exc
            failed(key, exc, False)
            continue
        try:
            backend.client.begin(sender, to, data)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            failed(key, exc, False)
            smtp.after_refusal(backend)
            continue
        except Exception as exc:  # noqa: BLE001 - anything else is retried
            failed(key, exc, False)
            smtp.drop(backend)
            continue
        started.append((key, backend))
    if not started:
        return
    ended: list[tuple[int, smtp.SMTPBackend]] = []
    try:
        recorded = record([key for key, _backend in started])
        while started:
            key, backend = started.pop(0)
            if key not in recorded:
                smtp.abandon(backend)
                continue
            try:
                backend.client.end()
            except Exception as exc:  # noqa: BLE001 - the connection broke: retried
                failed(key, exc, True)
                smtp.drop(backend)
                continue
            ended.append((key, backend))
    finally:
        # Recording failed (the database, say): the messages not ended are never delivered.
        for _key, backend in started:
            smtp.abandon(backend)
    for key, backend in ended:
        try:
            backend.client.ended()
        except smtplib.SMTPDataError as exc:
            failed(key, exc, True)
            smtp.after_refusal(backend)
            continue
        except Exception as exc:  # noqa: BLE001 - no answer to a whole message
            # The server may have taken it: sending again could make it twice, so it stays
            # recorded as sent.
            log.warning("email %s: no answer after its end: %s", key, queue.describe(exc))
            smtp.drop(backend)
            continue
        smtp.give_back(backend, sent=True)


def _send_each_recorded(
    batch: Sequence[tuple[int, Email]],
    record: Callable[[list[int]], set[int]],
    failed: Callable[[int, BaseException, bool], None],
) -> None:
    backend = get_connection()
    for key, email in batch:
        message = compose.render(email)
        message.connection = backend
        try:
            with transaction.atomic():
                if record([key]):
                    message.send()
        except Exception as exc:  # noqa: BLE001 - recorded and retried
            failed(key, exc, False)


# The mail server could not be reached, or went away: nothing is wrong with the email itself.
UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
)


def _classify(exc: BaseException) -> str | None:
    """Every recipient refused with a 5xx reply, or the message refused at its end with one, is
    final; a 4xx one (greylisting, a full mailbox, too many messages at once) is for now."""
    if isinstance(exc, Unwritable):
        return queue.PERMANENT
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
        500 <= code < 600 for code, _reply in exc.recipients.values()
    ):
        return queue.PERMANENT
    if isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600:
        return queue.PERMANENT
    if isinstance(exc, UNREACHABLE):
        return queue.UNAVAILABLE
    return None


queue.classify_failures(_classify)


# A drain's connections stay open from one batch to the next, and close once nothing is left.
queue.run_scope(smtp.kept_open)
