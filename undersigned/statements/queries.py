"""Reads behind the public pages: one place for the count, the lists and version lookup."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest

from undersigned.lib import pagecache
from undersigned.lib.languages import normalise_tag
from undersigned.statements.models import Partner, Signature, Statement, StatementVersion

# How long a process reuses a statement, its organisation and its versions as read from the
# database: they change rarely, and are read by every request about the statement. A change
# made through this process shows at once (see forget_statements); elsewhere within this time.
STATEMENT_SECONDS = 5.0
_statements: dict[str | int, tuple[float, Statement]] = {}
# Held by the thread re-reading an expired statement; the others meanwhile keep the old one
# rather than all read it again at once (in a surge, every thread of the process would).
_reloading = threading.Lock()
# A new number at each forget_statements: a statement read before one is not kept after it.
_forgets = itertools.count(1)
_forgotten = 0


def statement_by_slug(slug: str) -> Statement | None:
    """The statement with its organisation, versions and partners loaded; shared, so never
    modify it."""
    return _cached_statement(slug, slug=slug)


def statement_by_id(pk: int) -> Statement | None:
    """As statement_by_slug, by primary key (for the worker, which knows signatures)."""
    return _cached_statement(pk, pk=pk)


def _cached_statement(key: str | int, **lookup: str | int) -> Statement | None:
    entry = _statements.get(key)
    if entry is None:
        return _load_statement(key, lookup)
    if entry[0] > pagecache.clock() or not _reloading.acquire(blocking=False):
        return entry[1]
    try:
        return _load_statement(key, lookup)
    finally:
        _reloading.release()


def _load_statement(key: str | int, lookup: dict[str, str | int]) -> Statement | None:
    forgotten = _forgotten
    statement = (
        Statement.objects.select_related("organisation", "cover")
        .prefetch_related(
            "versions",
            Prefetch("partners", Partner.objects.select_related("organisation")),
            *(prefetch() for prefetch in _SHOWN_WITH),
        )
        .filter(**lookup)
        .first()
    )
    if statement is None:
        _statements.pop(key, None)
    elif forgotten != _forgotten:
        # Changed while it was being read: this caller gets what it read, the next a fresh one.
        pass
    else:
        if len(_statements) > 1000:
            _statements.clear()
        _statements[key] = (pagecache.clock() + STATEMENT_SECONDS, statement)
    return statement


# What other apps show on a statement's pages, read with the statement and kept with it.
_SHOWN_WITH: list[Callable[[], Prefetch[Any]]] = []


def shown_with_statement(prefetch: Callable[[], Prefetch[Any]]) -> None:
    """Register a Prefetch of what an app above shows with every statement (undersigned.updates:
    its latest updates), so that the cached statement holds it."""
    _SHOWN_WITH.append(prefetch)


def forget_statements() -> None:
    global _forgotten
    _forgotten = next(_forgets)
    _statements.clear()


def get_public_statement(request: HttpRequest, slug: str) -> Statement:
    """An open or closed statement, or a draft for members of its organisation; else 404."""
    statement = statement_by_slug(slug)
    if statement is None:
        raise Http404
    if statement.status == Statement.Status.DRAFT and not statement.is_member(request.user):
        raise Http404
    return statement


def get_version(statement: Statement, language: str) -> StatementVersion:
    tag = normalise_tag(language)
    if tag is None:
        raise Http404
    for version in statement.versions.all():
        if version.language.lower() == tag.lower():
            return version
    raise Http404


# How long a process reuses a count it read: no counter row is updated per signature (a hot row
# every signer would queue on); the count is read from the signatures themselves, at most once
# per statement and process in this many seconds.
COUNT_SECONDS = 2.0
# statement id -> (expires at, count, the statement's forget number when the count began)
_counts: dict[int, tuple[float, int, int]] = {}
_count_lock = threading.Lock()
# statement id -> the number of its latest forget_cached, from one sequence, set under a lock:
# a count that began before a change made by this process is not used by anyone who asks
# after it (the change has shown at once), though those who asked meanwhile share it.
_count_forgets = itertools.count(1)
_counts_forgotten: dict[int, int] = {}
_forget_lock = threading.Lock()


def _fresh_count(pk: int, asked: int) -> int | None:
    entry = _counts.get(pk)
    if entry is not None and entry[0] > pagecache.clock() and entry[2] >= asked:
        return entry[1]
    return None


def signature_count(statement: Statement) -> int:
    """Confirmed signatures across every language version: the one shared count, at most
    COUNT_SECONDS old (changes made by this process show at once).
    """
    asked = _counts_forgotten.get(statement.pk, 0)
    count = _fresh_count(statement.pk, asked)
    if count is not None:
        return count
    # One reader counts while the others wait for its figure, instead of all counting at once.
    with _count_lock:
        count = _fresh_count(statement.pk, asked)
        if count is not None:
            return count
        begun = _counts_forgotten.get(statement.pk, 0)
        count = Signature.objects.counted().filter(statement=statement).count()
        _counts[statement.pk] = (pagecache.clock() + COUNT_SECONDS, count, begun)
        return count


def forget_cached(statement: Statement) -> None:
    """After a change to who signed: drop this process's copies of the count and the pages,
    and keep none read before the change. Inside a transaction, again once it commits: a
    reader in between read the rows as they were. Other server processes catch up within
    their few seconds (docs/production.md says how many)."""
    pk, slug = statement.pk, statement.slug
    _forget_signers(pk, slug)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _forget_signers(pk, slug))


def _forget_signers(pk: int, slug: str) -> None:
    with _forget_lock:
        _counts_forgotten[pk] = next(_count_forgets)
    _counts.pop(pk, None)
    pagecache.clear(f"/s/{slug}/")


def forget_all_cached() -> None:
    _counts.clear()
    forget_statements()
    pagecache.clear()


def listed_signatures(statement: Statement) -> QuerySet[Signature]:
    """Who appears on the public pages: none while the organisers hide the whole list."""
    if statement.signatories_hidden:
        return Signature.objects.none()
    return Signature.objects.listed().filter(statement=statement)


def listed_organisations(statement: Statement) -> QuerySet[Signature]:
    return (
        listed_signatures(statement)
        .filter(kind=Signature.Kind.ORGANISATION)
        .select_related("logo")
        .order_by("organisation_name", "id")
    )


def latest_individuals(statement: Statement) -> QuerySet[Signature]:
    return (
        listed_signatures(statement)
        .filter(kind=Signature.Kind.INDIVIDUAL)
        .order_by("-confirmed_at", "-id")
    )


# Keyset pagination of the signatory list: a page is found by the position of its neighbour,
# (confirmed_at, id), so the 9,000th page costs what the first does; an OFFSET would make the
# database walk past every row before it.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def cursor_for(signature: Signature) -> str:
    """Where a listed (so confirmed) signature stands in the list."""
    confirmed_at = signature.confirmed_at or _EPOCH
    return f"{(confirmed_at - _EPOCH) // _MICROSECOND}-{signature.pk}"


def _parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    micro, _sep, pk = value.partition("-")
    if not (micro.isdigit() and pk.isdigit()) or len(micro) > 18 or len(pk) > 18:
        return None
    try:
        return _EPOCH + int(micro) * _MICROSECOND, int(pk)
    except OverflowError:
        return None


@dataclass
class SignatoryPage:
    rows: list[Signature]
    older: str | None
    newer: str | None


def signatory_page(
    rows: QuerySet[Signature], before: str | None, after: str | None, size: int
) -> SignatoryPage:
    """One page of `rows`, newest first: the first page, the one `before` a cursor (older), or
    the one `after` it (newer).
    """
    rows = rows.only(
        "name", "display", "kind", "organisation_name", "organisation_role", "confirmed_at"
    )
    newer_than = _parse_cursor(after)
    older_than = _parse_cursor(before)
    if newer_than is not None:
        at, pk = newer_than
        # Written as a range (>=) less one corner, so that the index serves it; "a > x OR
        # (a = x AND id > y)" makes SQLite scan.
        found = list(
            rows.filter(confirmed_at__gte=at)
            .exclude(confirmed_at=at, pk__lte=pk)
            .order_by("confirmed_at", "id")[: size + 1]
        )
        more_newer = len(found) > size
        page = found[:size][::-1]
        return SignatoryPage(
            rows=page,
            older=cursor_for(page[-1]) if page else None,
            newer=cursor_for(page[0]) if page and more_newer else None,
        )
    if older_than is not None:
        at, pk = older_than
        rows = rows.filter(confirmed_at__lte=at).exclude(confirmed_at=at, pk__gte=pk)
    found = list(rows.order_by("-confirmed_at", "-id")[: size + 1])
    page = found[:size]
    return SignatoryPage(
        rows=page,
        older=cursor_for(page[-1]) if len(found) > size else None,
        newer=cursor_for(page[0]) if page and older_than is not None else None,
    )
