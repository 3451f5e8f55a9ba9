"""A change made through a process shows at once in that process: its cached pages, count and
statement are dropped, and a reader that was half-way through reading them when the change
committed does not put back what it read (lib/pagecache.py, statements/queries.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from undersigned.conftest import make_signature
from undersigned.lib import pagecache
from undersigned.statements.actions import withdraw_signature
from undersigned.statements.models import Signature, Statement
from undersigned.statements.privacy import hide_signatories
from undersigned.statements.queries import (
    forget_statements,
    signature_count,
    statement_by_slug,
)

PAGES = ("/s/free-them/en/", "/s/free-them/en/signatories/", "/s/free-them/en/beside/es/")
NAME = "Wanda Withdrawing"


@pytest.fixture
def signer(transactional_db: None, statement: Statement) -> Signature:
    return make_signature(statement, 1, name=NAME)


@pytest.fixture
def expire(still_page_store: float, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Pages stored during the test stay stored until `expire()`, after which their 2 seconds
    (and the count's) have passed and the statement's 5 have not: the next reader renders
    them again, with the statement this process keeps."""
    return lambda: monkeypatch.setattr(pagecache, "clock", lambda: still_page_store + 2.1)


def _public(path: str) -> str:
    return Client().get(path).content.decode()


def _while_reading(query: str, read: Callable[[], object], change: Callable[[], object]) -> None:
    """Make `change` while `read` (a request, in a thread of its own) has just run its first
    query containing `query` and not yet used what it read: a reader half-way through a page
    when a signer withdraws or the organisers hide the list."""
    reached, changed = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def pause(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        result = execute(sql, *args)
        if query in sql and not reached.is_set():
            reached.set()
            changed.wait(30)
        return result

    def reader() -> None:
        try:
            with connection.execute_wrapper(pause):
                read()
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            failed.append(exc)
        finally:
            reached.set()
            connection.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert reached.wait(30) and not failed
        change()
    finally:
        changed.set()
        thread.join(30)
    if failed:
        raise failed[0]


def test_a_withdrawal_leaves_the_warm_pages_of_its_process_at_once(
    signer: Signature, still_page_store: float
) -> None:
    for path in PAGES:
        assert NAME in _public(path) or "beside" in path
    assert '"count": 1' in _public("/s/free-them/count.json")
    withdraw_signature(signer)
    for path in PAGES:
        assert NAME not in _public(path)
    assert '"count": 0' in _public("/s/free-them/count.json")


def test_hiding_the_list_empties_the_warm_pages_of_its_process_at_once(
    signer: Signature, statement: Statement, still_page_store: float
) -> None:
    assert NAME in _public("/s/free-them/en/signatories/")
    hide_signatories(statement)
    for path in PAGES:
        assert NAME not in _public(path)


def test_a_page_rendered_while_a_signer_withdraws_is_not_kept(
    signer: Signature, expire: Callable[[], None]
) -> None:
    assert NAME in _public("/s/free-them/en/signatories/")
    expire()
    _while_reading(
        '"statements_signature"."name"',
        lambda: _public("/s/free-them/en/signatories/"),
        lambda: withdraw_signature(signer),
    )
    assert NAME not in _public("/s/free-them/en/signatories/")


def test_a_count_read_while_a_signer_withdraws_is_not_kept(
    signer: Signature, statement: Statement, expire: Callable[[], None]
) -> None:
    assert '"count": 1' in _public("/s/free-them/count.json")
    expire()
    _while_reading(
        "COUNT(",
        lambda: _public("/s/free-them/count.json"),
        lambda: withdraw_signature(signer),
    )
    assert signature_count(statement) == 0
    assert '"count": 0' in _public("/s/free-them/count.json")
    assert '"count": 0' in _public("/s/free-them/count.json")


def test_a_statement_read_while_the_list_is_hidden_is_not_kept(
    signer: Signature, statement: Statement, still_page_store: float
) -> None:
    assert NAME in _public("/s/free-them/en/")
    # Read again by the next reader, as every STATEMENT_SECONDS.
    forget_statements()
    pagecache.clear()
    _while_reading(
        'FROM "statements_statement"',
        lambda: _public("/s/free-them/en/"),
        lambda: hide_signatories(statement),
    )
    shown = statement_by_slug("free-them")
    assert shown is not None and shown.signatories_hidden
    for path in PAGES:
        assert NAME not in _public(path)
