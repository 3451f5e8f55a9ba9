"""Bench data: a statement with N confirmed signatures, an empty one to sign, a member login.

Run inside the benchmark's environment (DATA_DIR or DATABASE_URL set): prints JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any


def setup() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    import django

    django.setup()


BIG = "bench-1m"
SIGN = "bench-sign"
# A statement whose page carries a long conversation.
COMMENTED = "bench-comments"
COLUMNS = (
    "statement_id",
    "language",
    "kind",
    "name",
    "email",
    "email_canonical",
    "country",
    "postcode",
    "organisation_name",
    "organisation_role",
    "display",
    "wants_updates",
    "consent_version",
    "consent_at",
    "state",
    "created_at",
    "confirmed_at",
    "hold_reason",
    "network",
    "channel",
)


def _rows(statement_id: int, count: int, start: dt.datetime) -> Iterator[tuple[Any, ...]]:
    from django.db import connection

    # Stored as Django stores them (on SQLite: UTC text without an offset).
    adapt = connection.ops.adapt_datetimefield_value
    for n in range(count):
        at = adapt(start + dt.timedelta(milliseconds=n * 50))
        email = f"s{n}@example.org"
        yield (
            statement_id,
            "en",
            "individual",
            f"Signer Number{n}",
            email,
            email,
            "",
            "",
            "",
            "",
            "full" if n % 3 else "initial",
            False,
            "bench",
            at,
            "confirmed",
            at,
            at,
            "",
            "",
            "online",
        )


# Published comments on the commented statement, and one reply in every REPLY_EVERY.
COMMENTS = 10_000
REPLY_EVERY = 10


def _comments(organisation: Any, statement_id: int, count: int) -> None:
    """`count` published comments in both languages, answered now and then."""
    from django.utils import timezone

    from undersigned.comments.models import Comment, CommentPolicy

    CommentPolicy.objects.create(statement_id=statement_id, mode=CommentPolicy.Mode.POST)
    start = timezone.now() - dt.timedelta(days=20)
    text = "Solidarity from our branch: we are with you, and we will be there on Saturday. "

    def comment(n: int, **fields: Any) -> Any:
        at = start + dt.timedelta(seconds=n * 60)
        return Comment(
            organisation=organisation,
            statement_id=statement_id,
            language="es" if n % 3 == 0 else "en",
            name=f"Commenter Number{n}",
            organisation_name="Bench branch" if n % 5 == 0 else "",
            email=f"c{n}@example.org",
            email_canonical=f"c{n}@example.org",
            text=text * (1 + n % 3),
            state="published",
            created_at=at,
            confirmed_at=at,
            published_at=at,
            **fields,
        )

    Comment.objects.bulk_create((comment(n) for n in range(count)), batch_size=2000)
    parents = list(
        Comment.objects.filter(statement_id=statement_id).values_list("pk", flat=True)[
            ::REPLY_EVERY
        ]
    )
    Comment.objects.bulk_create(
        (comment(count + n, parent_id=pk) for n, pk in enumerate(parents)), batch_size=2000
    )


# Ledger lines of the bench's fund: a campaign's worth; its page reads cached totals anyway.
FUND_LINES = 20_000


def _fund(organisation: Any, statement_id: int, lines: int) -> int:
    """A fighting fund on the big statement, with `lines` received gifts by every channel and
    a few pledges."""
    from django.utils import timezone

    from undersigned.funds.models import Contribution, Fund, FundVersion

    fund = Fund.objects.create(
        organisation=organisation,
        statement_id=statement_id,
        default_language="en",
        currency="EUR",
        target=50_000_000,
        ends_on=timezone.localdate() + dt.timedelta(days=12),
        show_donors=True,
        bank_holder="Bench Union",
        bank_iban="ES9121000418450200051332",
        published_at=timezone.now(),
    )
    for language in ("en", "es"):
        FundVersion.objects.create(
            fund=fund, language=language, title=f"Bench fund {language}", text="For the lawyers."
        )
    methods = [method for method, _label in Contribution.Method.choices]
    today = timezone.localdate()
    Contribution.objects.bulk_create(
        (
            Contribution(
                fund=fund,
                state="pledged" if n % 50 == 0 else "received",
                method=methods[n % len(methods)],
                amount=500 + (n % 40) * 250,
                received_on=today - dt.timedelta(days=n % 20),
                donor_name=f"Donor {n}" if n % 7 == 0 else "",
                show_name=n % 7 == 0,
            )
            for n in range(lines)
        ),
        batch_size=2000,
    )
    return fund.pk


def seed(rows: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction
    from django.utils import timezone

    from undersigned.organisations.models import Membership, Organisation
    from undersigned.statements.models import Signature, Statement, StatementVersion

    organisation = Organisation.objects.create(name="Bench Union", slug="bench-union")
    body = "<p>" + "Solidarity text. " * 200 + "</p>"
    ids = {}
    for slug in (BIG, SIGN, COMMENTED):
        statement = Statement.objects.create(
            organisation=organisation,
            slug=slug,
            status="open",
            default_language="en",
            goal=2_000_000,
            deadline=timezone.now() + dt.timedelta(days=30),
        )
        for language in ("en", "es"):
            StatementVersion.objects.create(
                statement=statement,
                language=language,
                title=f"Bench {slug} {language}",
                summary="A statement with many signatures.",
                body=body,
                demands="One\nTwo\nThree",
            )
        ids[slug] = statement.pk
    start = timezone.now() - dt.timedelta(days=20)
    table = Signature._meta.db_table
    with transaction.atomic():
        if connection.vendor == "postgresql":
            raw = connection.connection
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"  # noqa: S608
                ) as copy,
            ):
                for row in _rows(ids[BIG], rows, start):
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608
            connection.connection.executemany(sql, _rows(ids[BIG], rows, start))
    _comments(organisation, ids[COMMENTED], COMMENTS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
            cursor.execute("ANALYZE comments_comment")
    user = User.objects.create_user("bench", password="bench-password-123")
    Membership.objects.create(organisation=organisation, user=user, role="owner")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    from undersigned.statements.queries import cursor_for

    deep = (
        Signature.objects.filter(statement_id=ids[BIG])
        .order_by("-confirmed_at", "-id")
        .only("confirmed_at")[int(rows * 0.9)]
    )
    return {
        "big": BIG,
        "sign": SIGN,
        "fund": _fund(organisation, ids[BIG], min(rows, FUND_LINES)),
        "commented": COMMENTED,
        "session": session.session_key,
        "rows": rows,
        "deep_cursor": cursor_for(deep),
    }


def queue_emails(count: int) -> dict[str, Any]:
    """Clear the job table and queue `count` confirmation emails for new pending signatures."""
    from django.db import transaction
    from django.utils import timezone

    from undersigned.jobs.models import Job
    from undersigned.lib.tokens import new_token
    from undersigned.statements.models import Statement
    from undersigned.statements.store import SignRequest, _write_batch

    Job.objects.all().delete()
    statement = Statement.objects.get(slug=SIGN)
    started = timezone.now()
    requests = [
        SignRequest(
            statement=statement,
            language="en",
            fields={"name": f"Mail {n}", "email": f"mail{n}@example.org", "kind": "individual"},
            canonical=f"mail{n}@example.org",
            token=new_token(),
            at=started,
        )
        for n in range(count)
    ]
    # All in one transaction, so the worker sees them at once; the signing path's own batches
    # are bounded by the number of parameters SQLite takes in one statement.
    with transaction.atomic():
        for start in range(0, count, 500):
            _write_batch(requests[start : start + 500])
    committed = time.time()
    return {
        "queued": Job.objects.count(),
        "seconds": (timezone.now() - started).total_seconds(),
        "committed_at": committed,
    }


def queue_update(count: int) -> dict[str, Any]:
    """`count` new signers who asked for updates, half in Spanish, and an update to them in two
    languages; its mailing asked for, the recipients' rows written by the worker's job."""
    from django.utils import timezone

    from undersigned.statements.models import Signature, Statement
    from undersigned.updates.delivery import request_mailing
    from undersigned.updates.models import Update, UpdateVersion

    statement = Statement.objects.get(slug=SIGN)
    now = timezone.now()
    Signature.objects.bulk_create(
        [
            Signature(
                statement=statement,
                language="es" if n % 2 else "en",
                name=f"Follower {n}",
                email=f"news{n}@example.org",
                email_canonical=f"news{n}@example.org",
                consent_version="bench",
                consent_at=now,
                state=Signature.State.CONFIRMED,
                confirmed_at=now,
                wants_updates=True,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    update = Update.objects.create(statement=statement, published_at=now)
    for language, title in (("en", "Strike on Friday"), ("es", "Huelga el viernes")):
        UpdateVersion.objects.create(
            update=update, language=language, title=title, body="<p>" + "News. " * 60 + "</p>"
        )
    request_mailing(update, actor=None)
    return {"queued": count, "committed_at": time.time(), "update": update.pk}


def counts(tag: str) -> dict[str, Any]:
    """The rows a sign run stored (its emails start with b<tag>-): how many, how many addresses
    twice, and how many were held for review, by reason."""
    from django.db.models import Count

    from undersigned.jobs.models import Job
    from undersigned.statements.models import Signature

    rows = Signature.objects.filter(email__startswith=f"b{tag}-")
    doubled = rows.values("email_canonical").annotate(n=Count("id")).filter(n__gt=1).count()
    held_by = dict(
        rows.exclude(hold_reason="")
        .values_list("hold_reason")
        .annotate(n=Count("id"))
        .order_by("hold_reason")
    )
    return {
        "rows": rows.count(),
        "doubled": doubled,
        "held": sum(held_by.values()),
        "held_by": held_by,
        "jobs_left": Job.objects.count(),
    }


if __name__ == "__main__":
    setup()
    command = sys.argv[1]
    if command == "seed":
        result = seed(int(sys.argv[2]))
    elif command == "emails":
        result = queue_emails(int(sys.argv[2]))
    elif command == "updates":
        result = queue_update(int(sys.argv[2]))
    else:
        result = counts(sys.argv[2])
    print(json.dumps(result))
