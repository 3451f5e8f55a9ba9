"""Bad input gets a clear error or a 404, never a 500, and nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from undersigned.conftest import sign_data
from undersigned.jobs.models import Job
from undersigned.statements.models import Signature, Statement

URL = "/s/free-them/en/sign/"


def _nothing_written() -> None:
    assert Signature.objects.count() == 0
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "\u200b\u202e"}, "name"),  # only invisible characters
        ({"email": ""}, "email"),
        ({"name": "x" * 101}, "name"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"kind": "organisation", "organisation_name": "o" * 201}, "organisation_name"),
        (
            {"kind": "organisation", "organisation_name": "O", "organisation_role": "r" * 101},
            "organisation_role",
        ),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "ana@example.org\r\nBcc: victim@example.org"}, "email"),
        ({"email": "ana@exa mple.org"}, "email"),
        # 254 characters as typed, longer once the domain is written in IDNA.
        ({"email": "a" * 230 + "@" + "ñ" * 19 + ".com"}, "email"),
        ({"name": "Ana\x00García"}, "name"),
        ({"email": "ana\x00@example.org"}, "email"),
        ({"country": "XX"}, "country"),
        ({"display": "everyone"}, "display"),
        ({"kind": "robot"}, "kind"),
    ],
)
def test_invalid_fields_get_an_error_next_to_them(
    client: Client, statement: Statement, overrides: dict[str, Any], field: str
) -> None:
    response = client.post(URL, sign_data(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert 'class="field invalid"' in response.content.decode() or field in ("kind", "display")
    _nothing_written()


def test_names_are_cleaned_of_invisible_and_control_characters(
    client: Client, statement: Statement
) -> None:
    client.post(URL, sign_data(name="  Ana\u200b \u202eGarcía\tLópez\n "))
    assert Signature.objects.get().name == "Ana García López"


def test_composed_and_decomposed_names_are_stored_alike(
    client: Client, statement: Statement
) -> None:
    client.post(URL, sign_data(name="Jose\u0301", email="a@example.org"))
    client.post(URL, sign_data(name="Jos\u00e9", email="b@example.org"))
    assert set(Signature.objects.values_list("name", flat=True)) == {"Jos\u00e9"}


def test_invalid_utf8_in_the_form_is_not_a_500(client: Client, statement: Statement) -> None:
    from urllib.parse import quote

    from undersigned.lib.formtoken import issue

    token = f"form_token={quote(issue(statement.pk))}&".encode()
    body = token + (
        b"name=Ana+\xff\xfeGarc\xc3&email=ana%40example.org&kind=individual&display=full&consent=on"
    )
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 400)
    bad_email = token + b"name=Ana&email=\xff%40example.org&kind=individual&display=full&consent=on"
    response = client.post(URL, bad_email, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_a_huge_field_is_refused(client: Client, statement: Statement) -> None:
    response = client.post(URL, sign_data(name="x" * (10 * 1024 * 1024)))
    assert response.status_code == 400
    _nothing_written()


@pytest.mark.parametrize(
    "url",
    [
        "/s/nope/en/",
        "/s/free-them/xx/",
        "/s/free-them/not-a-tag!/",
        "/s/free-them/en/beside/xx/",
        "/s/nope/en/signatories/",
        "/s/free-them/zz/thanks/",
        "/s/free-them/%FF%FE/",
        "/s/%FF/en/",
        "/s/free-them/confirm/short/",
        "/s/free-them/confirm/" + "%FF" * 20 + "/",
        "/s/free-them/withdraw/" + "x" * 200 + "/",
    ],
)
def test_unknown_pages_are_404(client: Client, statement: Statement, url: str) -> None:
    assert client.get(url).status_code == 404


def test_signing_an_unknown_statement_or_language_is_404(
    client: Client, statement: Statement
) -> None:
    assert client.post("/s/nope/en/sign/", sign_data()).status_code == 404
    assert client.post("/s/free-them/de/sign/", sign_data()).status_code == 404
    _nothing_written()


def test_state_changing_urls_refuse_get(client: Client, statement: Statement) -> None:
    assert client.get(URL).status_code == 405
    _nothing_written()


def test_a_post_without_the_form_token_is_refused(statement: Statement) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, sign_data(form_token=None)).status_code == 403
    response = client.post(URL, sign_data(form_token="12:abc:forged", name="Ana Kept"))
    assert response.status_code == 403
    # Refused, but what was typed is on the page again, with a token that works.
    assert 'value="Ana Kept"' in response.content.decode()
    _nothing_written()


def test_a_token_made_for_another_statement_is_refused(
    client: Client, statement: Statement
) -> None:
    from undersigned.lib.formtoken import issue

    assert client.post(URL, sign_data(form_token=issue(statement.pk + 1))).status_code == 403
    _nothing_written()


def test_a_post_from_another_site_is_refused(client: Client, statement: Statement) -> None:
    response = client.post(URL, sign_data(), HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert client.post(URL, sign_data(), HTTP_ORIGIN="http://testserver").status_code == 302


def test_an_old_page_asks_to_sign_again_and_keeps_what_was_typed(
    client: Client, statement: Statement
) -> None:
    import datetime as dt

    import time_machine

    data = sign_data(name="Ana Lenta")
    with time_machine.travel(dt.timedelta(days=4)):
        response = client.post(URL, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "press Sign again" in page
    assert 'value="Ana Lenta"' in page
    _nothing_written()
    assert client.post(URL, data).status_code == 302


def test_mastodon_share_refuses_a_bad_server_name(client: Client) -> None:
    assert client.get("/share/mastodon/?instance=javascript:alert(1)&text=x").status_code == 400
    assert client.get("/share/mastodon/?instance=evil.example/phish%3F&text=x").status_code == 400
    response = client.get("/share/mastodon/?instance=https://Mastodon.Social/&text=Hola%20x")
    assert response.status_code == 303
    assert response["Location"] == "https://mastodon.social/share?text=Hola+x"
