"""A draft statement is not there for anyone outside its organisation: every public address
under /s/<slug>/ answers for a draft's slug exactly as for a slug nobody uses, so no one can
find out that a draft exists, or what its slug is. The addresses are taken from the URL
configuration, so a new one is checked too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from undersigned.conftest import sign_data
from undersigned.statements.models import Statement
from undersigned.updates.models import Update, UpdateVersion

DRAFT = "free-them"
UNKNOWN = "not-used"  # as long as DRAFT: no answer differs by its length alone


def _patterns(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern).lstrip("^")
        if isinstance(entry, URLResolver):
            found.extend(_patterns(entry.url_patterns, route))
        else:
            found.append((route, entry))
    return found


def public_slug_patterns() -> list[URLPattern]:
    """Every public address that takes a statement's slug: those under /s/<slug>/."""
    return [
        pattern
        for route, pattern in _patterns(get_resolver().url_patterns)
        if route.startswith("s/") and "slug" in pattern.pattern.regex.groupindex
    ]


def _url(pattern: URLPattern, slug: str, update: int) -> str:
    values = {"slug": slug, "language": "en", "other": "es", "token": "A" * 32, "pk": update}
    groups = pattern.pattern.regex.groupindex
    assert set(groups) <= set(values), f"a value for each part of {pattern.pattern}"
    return reverse(str(pattern.name), kwargs={name: values[name] for name in groups})


def _seen(response: Any, slug: str) -> tuple[int, str, str]:
    """What a visitor learns: the status, where it leads and the page, with the slug asked
    for (and any CSRF token, different on every page) left out."""
    body = b"".join(response) if response.streaming else response.content
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())
    return (
        response.status_code,
        response.get("Location", "").replace(slug, "SLUG"),
        page.replace(slug, "SLUG"),
    )


@pytest.fixture
def draft(statement: Statement) -> tuple[Statement, int]:
    """A draft with two versions and a published update: all a public page could show."""
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="en", title="News", body="<p>n</p>")
    statement.status = Statement.Status.DRAFT
    statement.save()
    return statement, update.pk


def test_the_patterns_are_found() -> None:
    names = {pattern.name for pattern in public_slug_patterns()}
    assert {"statement", "withdrawn", "sign", "count_json", "confirm", "update"} <= names


@pytest.mark.parametrize("pattern", public_slug_patterns(), ids=lambda pattern: pattern.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_drafts_address_answers_as_an_unknown_one(
    draft: tuple[Statement, int], pattern: URLPattern, method: str
) -> None:
    statement, update = draft
    answers = []
    for slug in (DRAFT, UNKNOWN):
        client = Client()
        send = getattr(client, method)
        data = sign_data(statement) if method == "post" else {}
        answers.append(_seen(send(_url(pattern, slug, update), data), slug))
    assert answers[0] == answers[1]
