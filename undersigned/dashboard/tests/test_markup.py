"""Every page the browser tests visit is valid HTML by the Nu HTML checker (vnu.jar, from npm,
see package.json; it runs in Java): the accessibility test's public and dashboard pages, in
English and in Spanish, the forms as they come back with errors, and the pages other browser
tests reach by a link or a form. The pages are rendered here with Django's test client and the
checker runs once on all of them, as the JVM takes a second or two to start.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from undersigned.accounts.tests.test_login import _with_two_factor, _wrong_code
from undersigned.conftest import PASSWORD, _client_for
from undersigned.dashboard.tests.test_accessibility import dashboard_pages, public_pages
from undersigned.lib import formtoken
from undersigned.lib.tokens import hash_token, new_token
from undersigned.organisations.models import Invitation, Membership
from undersigned.statements.models import Statement
from undersigned.statements.queries import forget_all_cached

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Document:
    name: str  # what the checker's messages call it: a path, a language, a state
    html: str


def _in(language: str, path: str) -> str:
    """`path` with its language segments swapped when `language` is Spanish: a statement's
    page in English becomes the page in Spanish, and the page beside it in English."""
    if language == "en":
        return path
    return re.sub(r"/(en|es)/", lambda match: "/es/" if match[1] == "en" else "/en/", path)


def _get(client: Client, path: str, language: str, status: int = 200) -> Document:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == status, (path, response.status_code)
    return Document(f"{path} ({language})", response.content.decode())


def _post(client: Client, path: str, data: dict[str, str], language: str, status: int) -> Document:
    response = client.post(path, data, headers={"accept-language": language})
    assert response.status_code == status, (path, response.status_code)
    return Document(f"POST {path} ({language}), with errors", response.content.decode())


def _public_documents(statement: Statement) -> list[Document]:
    client = Client()
    paths = public_pages(statement)
    documents = [_get(client, _in(lang, path), lang) for lang in LANGUAGES for path in paths]
    for lang in LANGUAGES:
        # The sign form with errors, the organisation's fields shown, and the follow form's.
        token = {"form_token": formtoken.issue(statement.pk)}
        sign = {"kind": "organisation", **token}
        documents.append(_post(client, f"/s/free-them/{lang}/sign/", sign, lang, 400))
        documents.append(_post(client, f"/s/free-them/{lang}/follow/", token, lang, 400))
        login = {"username": "nobody", "password": "wrong"}
        documents.append(_post(client, "/accounts/login/", login, lang, 200))
        # A link unknown, expired or used: a neutral page (a 404).
        unknown = "/s/free-them/follow/confirm/a-token-nobody-was-ever-sent-xx/"
        documents.append(_get(client, unknown, lang, status=404))
        # Reached from the statement's links.
        documents.append(_get(client, f"/s/free-them/{lang}/?src=union-newsletter", lang))
        signatories = f"/s/free-them/{lang}/signatories/?kind=organisation"
        documents.append(_get(client, signatories, lang))
    return documents


def _dashboard_documents(statement: Statement, organiser: User) -> list[Document]:
    paths = dashboard_pages(statement, organiser)
    client = _client_for(organiser)
    documents = [_get(client, _in(lang, path), lang) for lang in LANGUAGES for path in paths]
    organisation = statement.organisation
    erasure = f"/dashboard/o/{organisation.slug}/erasure/"
    for lang in LANGUAGES:
        documents.append(_get(client, "/dashboard/s/free-them/signatures/?channel=paper", lang))
        # What an erasure request found, and its form with an error.
        found = client.post(erasure, {"email": "p1@example.org"}, headers={"accept-language": lang})
        assert found.status_code == 200
        documents.append(Document(f"POST {erasure} ({lang}), found", found.content.decode()))
        documents.append(_post(client, erasure, {"email": "not an address"}, lang, 400))
        documents.append(_post(client, "/dashboard/s/free-them/signatures/paper/", {}, lang, 200))
        # A new event at a time the clocks show twice: the question of which one.
        twice = {"zone": "Europe/Madrid", "start": "2027-10-31T02:30", "end": "2027-10-31T04:00"}
        documents.append(
            _post(client, f"/dashboard/o/{organisation.slug}/events/new/", twice, lang, 400)
        )
        # The page an invitation's email links to.
        token = new_token()
        Invitation.objects.create(
            organisation=organisation,
            email=f"invited-{lang}@example.org",
            role=Membership.Role.EDITOR,
            token_hash=hash_token(token),
            language=lang,
            invited_by=organiser,
        )
        documents.append(_get(Client(), f"/dashboard/invitation/{token}/", lang))
    # With two-factor authentication on: the second step of logging in, and the account's page.
    secret = _with_two_factor(organiser)
    for lang in LANGUAGES:
        login = Client()
        credentials = {"username": organiser.username, "password": PASSWORD}
        login.post("/accounts/login/", credentials, headers={"accept-language": lang})
        documents.append(_get(login, "/accounts/two-factor/", lang))
        documents.append(
            _post(login, "/accounts/two-factor/", {"code": _wrong_code(secret)}, lang, 200)
        )
        documents.append(_get(client, "/accounts/security/", lang))
    return documents


# Checked with the pages, to show the checker ran on them and its errors reach the test.
CANARY = Document("the canary", '<!doctype html><html lang="en"><title>x</title><p><div></div></p>')


def _errors(documents: list[Document], folder: Path, java: str) -> list[str]:
    """The checker's errors in `documents`, one line each (warnings are not errors), from one
    run of it on all of them."""
    files = {}
    for n, document in enumerate([CANARY, *documents]):
        path = folder / f"{n:03}.html"
        path.write_text(document.html, encoding="utf-8")
        files[str(path)] = document.name
    run = subprocess.run(  # noqa: S603 - our own arguments
        [java, "-jar", str(VNU), "--format", "json", "--stdout", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        check=True,
    )
    errors = [
        (files[message["url"].removeprefix("file:")], message)
        for message in json.loads(run.stdout)["messages"]
        if message["type"] != "info"
    ]
    assert CANARY.name in {name for name, _message in errors}, run.stdout[:2000]
    return [
        f"{name} line {message.get('lastLine', '?')}: {message['message']}"
        f" [{message.get('extract', '').strip()}]"
        for name, message in errors
        if name != CANARY.name
    ]


def test_every_page_is_valid_html(statement: Statement, organiser: User, tmp_path: Path) -> None:
    java = shutil.which("java")
    if java is None:
        message = "no Java to run the Nu HTML checker: apt-get install default-jre-headless"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs Java: here its absence is an error
        pytest.skip(message)
    if not VNU.exists():
        pytest.fail("vnu.jar is missing: run `npm ci --no-audit --no-fund --ignore-scripts`")
    # Each list makes the world it shows; they would collide, so the first is rolled back.
    with transaction.atomic():
        documents = _public_documents(statement)
        transaction.set_rollback(True)
    forget_all_cached()
    documents += _dashboard_documents(statement, organiser)
    errors = _errors(documents, tmp_path, java)
    assert errors == [], f"{len(errors)} errors:\n" + "\n".join(errors)
