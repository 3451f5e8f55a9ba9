"""The worker's side of paper: making a document, and deleting old files.

`make` is safe to run twice and against another run of itself: each run marks the document
with a token of its own, and records its file only if the document still carries that token
(a second worker that took the job over, or erasure that asked for the pack again, replaced
it); otherwise it throws its file away. A failure is retried by the queue's one policy
(`next_try`), and the document says it failed, with the error's class only, once that gives up.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from undersigned.jobs.queue import every, handler, next_try
from undersigned.paper.actions import EVENT_KINDS, JOB, delete_expired, remove_file, store
from undersigned.paper.models import Document
from undersigned.statements.models import Statement

Progress = Callable[[int, int], None]


def check_url(statement: Statement, document: Document) -> str:
    """The public page where anyone checks a pack's count and hash."""
    return settings.SITE_URL + reverse("pack_check", args=(statement.slug, document.pk))


def render(document: Document, progress: Progress) -> tuple[bytes, dict[str, Any]]:
    """The document's PDF, and the fields to record with it (a pack's figures)."""
    # Written beside this module; imported by the worker when first needed.
    from undersigned.paper import leaflets

    statement, options = document.statement, document.options
    if document.kind in EVENT_KINDS:
        progress(0, 1)
        pdf = leaflets.leaflet(
            statement, options["languages"], size=options.get("size", "A5"), event=document.event
        )
        return pdf, {}
    if statement is None:
        raise ValueError(f"a {document.kind} needs a statement")
    if document.kind == Document.Kind.PACK:
        from undersigned.paper.pack import make_pack

        pack = make_pack(
            statement,
            language=options.get("addressee_language") or statement.default_language,
            letter=options.get("letter", ""),
            check_url=check_url(statement, document),
            progress=progress,
        )
        return pack.pdf, {
            "as_of": pack.as_of,
            "count": pack.count,
            "listed": pack.listed,
            "sha256": pack.sha256,
        }
    progress(0, 1)
    return leaflets.sign_up_sheet(statement, options["language"]), {}


def _progress(pk: int, run: str) -> Progress:
    def tell(done: int, total: int) -> None:
        Document.objects.filter(pk=pk, run=run).update(progress_done=done, progress_total=total)

    return tell


@handler(JOB)
def make(payload: dict[str, Any]) -> None:
    pk = payload["document"]
    run = secrets.token_hex(8)
    started = Document.objects.filter(
        pk=pk, state__in=(Document.State.QUEUED, Document.State.MAKING)
    ).update(state=Document.State.MAKING, run=run, progress_done=0)
    if not started:
        return  # made already, failed for good, deleted, or gone
    document = Document.objects.select_related(
        "statement__organisation", "event__organisation", "event__statement"
    ).get(pk=pk)
    try:
        content, fields = render(document, _progress(pk, run))
    except Exception as exc:
        _failed(document, run, exc)
        return
    name = store(content)
    with transaction.atomic():
        recorded = Document.objects.filter(pk=pk, run=run, state=Document.State.MAKING).update(
            state=Document.State.READY,
            file_name=name,
            size=len(content),
            finished_at=timezone.now(),
            progress_done=fields.get("listed", 1),
            error="",
            **fields,
        )
    if not recorded:
        remove_file(name)


def _failed(document: Document, run: str, exc: Exception) -> None:
    """Record the failure; raise again for the queue to retry, unless its policy gives up."""
    attempts = document.attempts + 1
    retry = next_try(attempts, exc) is not None
    Document.objects.filter(pk=document.pk, run=run).update(
        attempts=attempts,
        error=type(exc).__name__[:200],
        state=Document.State.QUEUED if retry else Document.State.FAILED,
        finished_at=None if retry else timezone.now(),
    )
    if retry:
        raise exc


@every(3600)
def delete_expired_files() -> None:
    delete_expired()
