"""Asking for a PDF, keeping its file, and deleting it: after PAPER_KEEP_DAYS, and at once
when a signer it names withdraws or is erased (a delivery pack prints names)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.events.models import Event
from undersigned.jobs.queue import enqueue
from undersigned.paper.models import Document
from undersigned.statements.models import Signature, Statement

JOB = "paper.make"
# What an event may have printed without a statement.
EVENT_KINDS = (Document.Kind.LEAFLET, Document.Kind.POSTER)


def request_document(
    statement: Statement | None,
    kind: str,
    options: dict[str, Any],
    actor: Any,
    *,
    event: Event | None = None,
) -> Document:
    """A document to make, and the worker's job that makes it, in one transaction. A leaflet
    or a poster may be of an event (which asks to sign `statement`, if given); a sheet and a
    pack are a statement's."""
    if statement is None and (event is None or kind not in EVENT_KINDS):
        raise ValueError(f"a {kind} needs a statement")
    with transaction.atomic():
        document = Document.objects.create(
            statement=statement,
            event=event,
            kind=kind,
            options=options,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        enqueue(JOB, {"document": document.pk})
        about = {"event": event.pk} if event is not None else {}
        record(
            "paper.requested",
            actor=actor,
            statement=statement,
            object_id=document.pk,
            kind=kind,
            **about,
        )
    return document


def store(content: bytes) -> str:
    """Write a PDF to PAPER_DIR under a random name, readable by this user only; return the
    name. Written whole to a temporary file first, so no reader ever finds half a file."""
    folder = Path(settings.PAPER_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def remove_file(name: str) -> None:
    if name:
        (Path(settings.PAPER_DIR) / name).unlink(missing_ok=True)


def _delete_files(documents: Iterable[Document]) -> None:
    """Mark these documents' files deleted and delete them once that commits (a rollback
    leaves the rows as they were; a file is never kept past its row's say)."""
    names = [document.file_name for document in documents if document.file_name]
    pks = [document.pk for document in documents]
    Document.objects.filter(pk__in=pks).update(
        state=Document.State.DELETED, file_name="", size=None
    )

    def remove() -> None:
        for name in names:
            remove_file(name)

    transaction.on_commit(remove)


def _restart(documents: Iterable[Document]) -> None:
    """Packs being made when a signer left the list: made again, from the list as it is now
    (the run under way throws its file away, paper.jobs)."""
    for document in documents:
        Document.objects.filter(pk=document.pk).update(
            state=Document.State.QUEUED, run="", progress_done=0
        )
        enqueue(JOB, {"document": document.pk})


def forget_packs(statements: Iterable[int]) -> None:
    """The statements' delivery packs name people who are leaving: delete their files (their
    check records, a count and a hash, stay) and make those under way again."""
    packs = list(
        Document.objects.filter(statement__in=list(statements), kind=Document.Kind.PACK).only(
            "pk", "state", "file_name"
        )
    )
    _delete_files([pack for pack in packs if pack.file_name])
    _restart(
        [
            pack
            for pack in packs
            if pack.state in (Document.State.QUEUED, Document.State.MAKING) and not pack.file_name
        ]
    )


def forget_signatures(ids: list[int]) -> None:
    """Erasure's hook (statements.privacy): signatures that a pack may list are going."""
    statements = set(
        Signature.objects.listed()
        .filter(pk__in=ids, erased_at__isnull=True)
        .values_list("statement_id", flat=True)
    )
    if statements:
        forget_packs(statements)


def forget_statement(statement: Statement, reason: str, actor: Any) -> None:
    """Erasure's hook for all of a statement's people (retention after closing)."""
    forget_packs([statement.pk])


def packs_with_files() -> Exists:
    return Exists(
        Document.objects.filter(statement=OuterRef("pk"), kind=Document.Kind.PACK, file_name__gt="")
    )


def delete_expired(now: dt.datetime | None = None) -> int:
    """Delete the files made PAPER_KEEP_DAYS ago or more, and the rows of all but delivery
    packs (whose check pages stay); return how many files."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.PAPER_KEEP_DAYS)
    old = Document.objects.filter(created_at__lte=cutoff)
    with transaction.atomic():
        expired = list(old.exclude(file_name="").only("pk", "file_name"))
        _delete_files(expired)
        old.exclude(kind=Document.Kind.PACK).filter(
            state__in=(Document.State.DELETED, Document.State.FAILED)
        ).delete()
    _sweep(cutoff)
    return len(expired)


def _sweep(cutoff: dt.datetime) -> None:
    """Files no row names (a worker killed between writing and recording one, a statement
    deleted with its documents), once older than the cutoff."""
    folder = Path(settings.PAPER_DIR)
    if not folder.is_dir():
        return
    known = set(Document.objects.exclude(file_name="").values_list("file_name", flat=True))
    for path in folder.iterdir():
        if path.name in known or not path.is_file():
            continue
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) <= cutoff:
            path.unlink(missing_ok=True)
