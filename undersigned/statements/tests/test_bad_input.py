"""Bad input gets a clear error or a 404, never a 500, and nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client

from undersigned.conftest import sign_data
from undersigned.jobs.models import Job
from undersigned.statements.forms import SignForm
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
        # Names are published as plain text and exported to spreadsheets.
        ({"name": "Ana http://evil.example"}, "name"),
        ({"name": "www.evil.example"}, "name"),
        ({"name": "ana@example.org"}, "name"),
        ({"name": "Visit evil.com"}, "name"),
        ({"name": "=HYPERLINK(1)"}, "name"),
        ({"name": "\t\r+34 600"}, "name"),
        ({"name": " -Ana"}, "name"),
        ({"name": "@ana"}, "name"),
        ({"name": "\u200b=1"}, "name"),
        ({"kind": "organisation", "organisation_name": "evil.org"}, "organisation_name"),
        ({"kind": "organisation", "organisation_name": "=cmd"}, "organisation_name"),
        (
            {"kind": "organisation", "organisation_name": "O", "organisation_role": "@x"},
            "organisation_role",
        ),
        (
            {"kind": "organisation", "organisation_name": "O", "organisation_role": "x.com/y"},
            "organisation_role",
        ),
    ],
)
def test_invalid_fields_get_an_error_next_to_them(
    client: Client, statement: Statement, overrides: dict[str, Any], field: str
) -> None:
    response = client.post(URL, sign_data(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert 'class="field invalid"' in response.content.decode()
    _nothing_written()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("www.evil.example", "Leave out web and email addresses"),
        ("=1+1", "This cannot start with =, +, - or @."),
    ],
)
def test_a_refused_name_says_why(
    client: Client, statement: Statement, name: str, message: str
) -> None:
    response = client.post(URL, sign_data(name=name))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_individual_is_not_held_up_by_hidden_organisation_fields(
    client: Client, statement: Statement
) -> None:
    response = client.post(
        URL, sign_data(kind="individual", organisation_name="=x", organisation_role="evil.com")
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.organisation_name, signature.organisation_role) == ("", "")


@pytest.mark.parametrize(
    ("field", "longest"),
    [("name", 100), ("organisation_name", 200), ("organisation_role", 100), ("postcode", 16)],
)
def test_the_form_and_the_database_agree_on_lengths(field: str, longest: int) -> None:
    form_field = SignForm.base_fields[field]
    assert isinstance(form_field, forms.CharField)
    assert form_field.max_length == Signature._meta.get_field(field).max_length == longest


@pytest.mark.parametrize("field", ["name", "organisation_name", "organisation_role"])
def test_the_longest_allowed_value_is_stored_whole_and_one_more_is_an_error(
    client: Client, statement: Statement, field: str
) -> None:
    longest = Signature._meta.get_field(field).max_length
    assert longest is not None
    extra = {"kind": "organisation", "organisation_name": "Union"}
    # A decomposed letter counts once it is composed: 'é' typed as e + accent is one character.
    too_long = client.post(URL, sign_data(**{**extra, field: "x" * (longest + 1)}))
    assert too_long.status_code == 400
    assert field in too_long.context["form"].errors
    _nothing_written()
    exact = "e\u0301" + "x" * (longest - 1)
    assert client.post(URL, sign_data(**{**extra, field: exact})).status_code == 302
    assert getattr(Signature.objects.get(), field) == "\u00e9" + "x" * (longest - 1)


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
    # Read as Django reads a body that is not UTF-8 (as ISO-8859-1), and stored as typed.
    assert response.status_code == 302
    assert list(Signature.objects.values_list("name", flat=True)) == ["Ana \xff\xfeGarc\xc3"]
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


HOSTILE_QUERIES = [
    "page=%FF",
    "kind=%00",
    "kind=organisation%00",
    "before=%FF%FE&after=%00",
    "before=-1&after=99999999999999999999999999",
    "before=abc&after=1e9",
    "after=" + "9" * 5000,
    "%FF=%FF",
    "%E2%80%AE=1",
    "a=\u202e\u200b",
    "x=" + "%ED%A0%80",  # an encoded surrogate: not UTF-8
]
PUBLIC_PAGES = [
    "/",
    "/s/free-them/",
    "/s/free-them/en/",
    "/s/free-them/en/beside/es/",
    "/s/free-them/en/signatories/",
    "/s/free-them/en/check-email/",
    "/s/free-them/en/thanks/",
    "/s/free-them/en/withdrawn/",
    "/s/free-them/count.json",
    "/share/mastodon/",
    "/healthz",
    "/accounts/login/",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_query_strings_on_public_pages_are_never_a_500(
    client: Client, statement: Statement, query: str
) -> None:
    for path in PUBLIC_PAGES:
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, path
        assert response.status_code in (200, 302, 303, 400, 404), path


@pytest.mark.parametrize(
    "raw_path",
    [
        "/s/\xff\xfe/en/",
        "/s/free-them/\xff/",
        "/s/free-them/en/\x00/",
        "/s/free-them/en/signatories/\xc3",
        "/s/free-them/confirm/" + "\xff" * 32 + "/",
        "/\xed\xa0\x80/",
    ],
)
def test_raw_bytes_in_the_path_or_query_are_never_a_500(
    client: Client, statement: Statement, raw_path: str
) -> None:
    # As a WSGI server hands them over: undecoded bytes, each as one Latin-1 character.
    response = client.generic("GET", "/", **{"PATH_INFO": raw_path, "QUERY_STRING": "a=\xff\x00"})
    assert response.status_code in (400, 404)
    response = client.generic("GET", "/s/free-them/en/", QUERY_STRING="page=\xff&kind=\xc3\x28")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "organisation", "organisation_name": "Union\x00"},
        {"kind": "organisation", "organisation_name": "Union", "organisation_role": "\x00"},
        {"postcode": "28\x0001"},
        {"country": "ES\x00"},
        {"display": "full\x00"},
        {"kind": "individual\x00"},
    ],
)
def test_a_null_character_in_any_field_is_a_form_error(
    client: Client, statement: Statement, overrides: dict[str, Any]
) -> None:
    statement.ask_postcode = True
    statement.save()
    response = client.post(URL, sign_data(**overrides))
    assert response.status_code == 400
    field = next(name for name, value in overrides.items() if "\x00" in value)
    assert field in response.context["form"].errors
    _nothing_written()


@pytest.mark.parametrize("field", ["name", "email", "organisation_name", "organisation_role"])
def test_ten_megabytes_in_any_field_is_refused(
    client: Client, statement: Statement, field: str
) -> None:
    data = sign_data(kind="organisation", organisation_name="Union")
    data[field] = "\u202e" * (10 * 1024 * 1024 // 3)  # 10 MB of UTF-8, invisible once cleaned
    assert client.post(URL, data).status_code == 400
    _nothing_written()


def test_many_fields_are_refused(client: Client, statement: Statement) -> None:
    data = sign_data(**{f"extra{n}": "x" for n in range(2000)})
    assert client.post(URL, data).status_code == 400
    _nothing_written()


def test_invalid_utf8_in_a_multipart_form_is_not_a_500(
    client: Client, statement: Statement
) -> None:
    from django.test.client import BOUNDARY, encode_multipart

    body = encode_multipart(BOUNDARY, sign_data()).replace(b"Ana Garc", b"Ana \xff\xfeGarc")
    # Sent as it is: Django's client would encode a content type it knows itself.
    response = client.post(URL, body, content_type=f"multipart/form-data; boundary={BOUNDARY}")
    # Django's multipart parser puts U+FFFD in place of each byte it cannot read.
    assert response.status_code == 302
    assert list(Signature.objects.values_list("name", flat=True)) == ["Ana \ufffd\ufffdGarc\u00eda"]


def test_one_person_signing_again_with_the_name_decomposed_is_stored_once_in_nfc(
    client: Client, statement: Statement
) -> None:
    import unicodedata

    composed = "Jos\u00e9 Mu\u00f1oz"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    client.post(URL, sign_data(name=decomposed))
    client.post(URL, sign_data(name="\u200b" + composed + "\u202e"))
    signature = Signature.objects.get()
    assert signature.name == composed
    assert unicodedata.is_normalized("NFC", signature.name)
