from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.conftest import make_signature
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.statements.queries import forget_all_cached


def test_home_lists_open_statements_only(client: Client, statement: Statement) -> None:
    Statement.objects.create(
        organisation=statement.organisation, slug="secret-draft", default_language="en"
    )
    page = client.get("/").content.decode()
    assert "Free them" in page
    assert "secret-draft" not in page


def test_home_shows_the_version_in_the_interface_language(
    client: Client, statement: Statement
) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Libertad para ellos" in page


def test_home_cards_show_the_count_the_goal_and_the_other_versions(
    client: Client, statement: Statement
) -> None:
    for n in range(3):
        make_signature(statement, n)
    page = client.get("/").content.decode()
    card = page[page.index('class="card statement-card"') :]
    assert "<strong>3</strong> signatures" in card
    assert "Goal: 100 signatures" in card
    assert '<progress max="100" value="3"' in card
    assert "11 days left" in card
    assert 'href="/s/free-them/es/" hreflang="es">español (es)</a>' in card


def test_the_bare_link_picks_the_readers_language(client: Client, statement: Statement) -> None:
    response = client.get("/s/free-them/", HTTP_ACCEPT_LANGUAGE="es-PE,es;q=0.9")
    assert response["Location"] == "/s/free-them/es/"
    response = client.get("/s/free-them/", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Location"] == "/s/free-them/en/"


def test_each_version_has_its_page_and_interface_language(
    client: Client, statement: Statement
) -> None:
    en = client.get("/s/free-them/en/").content.decode()
    es = client.get("/s/free-them/es/").content.decode()
    assert '<html lang="en"' in en and "English body" in en and "Add your name" in en
    assert '<html lang="es"' in es and "Cuerpo en español" in es
    assert "Drop the charges" in en
    # The switcher links each version to the others.
    assert 'href="/s/free-them/es/"' in en
    assert 'href="/s/free-them/en/beside/es/"' in en


def test_a_version_without_ui_translation_uses_the_default_language(
    client: Client, statement: Statement
) -> None:
    StatementVersion.objects.create(
        statement=statement, language="qu", title="Qispichiy", summary="s", body="<p>Quechua</p>"
    )
    Statement.objects.filter(pk=statement.pk).update(default_language="es")
    page = client.get("/s/free-them/qu/").content.decode()
    assert '<html lang="es"' in page
    assert '<article class="statement" lang="qu"' in page


def test_language_tags_are_matched_case_insensitively(client: Client, statement: Statement) -> None:
    response = client.get("/s/free-them/ES/")
    assert response.status_code == 302
    assert response["Location"] == "/s/free-them/es/"


def test_side_by_side_shows_both_texts(client: Client, statement: Statement) -> None:
    page = client.get("/s/free-them/en/beside/es/").content.decode()
    assert "English body" in page and "Cuerpo en español" in page
    assert 'lang="es"' in page


def test_count_progress_and_days_remaining(client: Client, statement: Statement) -> None:
    for n in range(3):
        make_signature(statement, n, language="es" if n else "en")
    make_signature(statement, 10, state=Signature.State.PENDING)
    make_signature(statement, 11, state=Signature.State.AWAITING_APPROVAL, kind="organisation")
    page = client.get("/s/free-them/en/").content.decode()
    assert "<strong>3</strong> signatures" in page
    assert 'value="3"' in page  # 3 of a goal of 100
    assert "11 days left" in page


def test_days_remaining_counts_down(statement: Statement) -> None:
    with time_machine.travel(statement.deadline - dt.timedelta(hours=30), tick=False):
        assert statement.days_remaining() == 2
    with time_machine.travel(statement.deadline + dt.timedelta(seconds=1), tick=False):
        assert statement.days_remaining() == 0
        assert not statement.is_open


def test_a_passed_deadline_closes_signing(client: Client, statement: Statement) -> None:
    Statement.objects.filter(pk=statement.pk).update(deadline=timezone.now() - dt.timedelta(days=1))
    page = client.get("/s/free-them/en/").content.decode()
    assert "The deadline has passed" in page
    assert 'action="/s/free-them/en/sign/"' not in page


def test_signed_on_lists_approved_organisations(client: Client, statement: Statement) -> None:
    make_signature(
        statement, 1, kind="organisation", organisation_name="Union A", display="initial"
    )
    make_signature(
        statement,
        2,
        kind="organisation",
        organisation_name="Union B",
        state=Signature.State.AWAITING_APPROVAL,
    )
    page = client.get("/s/free-them/en/").content.decode()
    assert "Union A" in page and "Person N." in page
    assert "Union B" not in page


def test_latest_signers_are_the_ten_newest(client: Client, statement: Statement) -> None:
    for n in range(12):
        make_signature(statement, n)
    page = client.get("/s/free-them/en/").content.decode()
    assert "Person Number11" in page
    assert "Person Number1<" not in page and "Person Number0" not in page


def _older_link(page: str) -> str | None:
    found = re.search(r'href="\?([^"]*before=[^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_signatory_list_is_paginated_by_position(
    client: Client, statement: Statement, settings: object
) -> None:
    settings.SIGNATORIES_PER_PAGE = 5  # type: ignore[attr-defined]
    for n in range(12):
        make_signature(
            statement,
            n,
            kind="organisation" if n == 3 else "individual",
            organisation_name="Org Three" if n == 3 else "",
        )
    url = "/s/free-them/en/signatories/"
    seen: list[str] = []
    page = client.get(url).content.decode()
    pages = 1
    while True:
        seen += re.findall(r"Person Number(\d+)", page)
        older = _older_link(page)
        if older is None:
            break
        page = client.get(f"{url}?{older}").content.decode()
        pages += 1
        assert "Newer signatures" in page
    assert pages == 3
    assert seen == [str(n) for n in range(11, -1, -1)]  # newest first, each once
    newer = re.search(r'href="\?(after=[^"]+)"', page)
    assert newer is not None
    back = client.get(f"{url}?{newer.group(1)}").content.decode()
    assert re.findall(r"Person Number(\d+)", back) == ["6", "5", "4", "3", "2"]
    orgs = client.get(f"{url}?kind=organisation").content.decode()
    assert "Org Three" in orgs and "Person Number11" not in orgs
    for junk in ("before=abc", "before=1-x", "after=99999999999999999999-1", "before=-5"):
        assert client.get(f"{url}?{junk}").status_code == 200


def test_every_page_names_its_own_icon(client: Client, statement: Statement) -> None:
    # Without it browsers ask for /favicon.ico: a 404 rendered by Django on every first visit.
    for url in ("/", "/s/free-them/en/", "/accounts/login/"):
        html = client.get(url).content.decode()
        icon = re.search(r'<link rel="icon" href="/static/([^"]+)" type="image/svg\+xml">', html)
        assert icon is not None, url
        assert finders.find(icon[1]) is not None


def test_open_graph_tags_preview_title_and_summary(client: Client, statement: Statement) -> None:
    page = client.get("/s/free-them/es/").content.decode()
    assert '<meta property="og:title" content="Libertad para ellos">' in page
    assert '<meta property="og:description" content="Liberen a los estudiantes.">' in page
    assert 'hreflang="en"' in page
    # A version without a region: the language's likely one (lib.languages.og_locale).
    assert '<meta property="og:locale" content="es_ES">' in page
    assert '<meta property="og:locale:alternate" content="en_US">' in page
    assert 'og:locale:alternate" content="es_ES"' not in page


def test_a_regional_version_gives_its_region_to_link_previews(
    client: Client, statement: Statement
) -> None:
    version = statement.versions.get(language="es")
    version.language = "es-PE"
    version.save()
    page = client.get("/s/free-them/es-PE/").content.decode()
    assert '<meta property="og:locale" content="es_PE">' in page
    english = client.get("/s/free-them/en/").content.decode()
    assert '<meta property="og:locale:alternate" content="es_PE">' in english


def test_without_a_cover_the_link_preview_is_the_statements_card(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.SITE_URL = "https://firmas.example"
    page = client.get("/s/free-them/es/").content.decode()
    assert (
        '<meta property="og:image" content="https://firmas.example/s/free-them/es/card.png">'
        in page
    )
    assert '<meta property="og:image:width" content="1200">' in page
    assert '<meta property="og:image:height" content="630">' in page
    assert '<meta property="og:image:alt" content="Libertad para ellos · Red Estudiantil">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    # Every address a preview follows is absolute.
    for address in re.findall(r'<meta property="og:(?:url|image)" content="([^"]+)"', page):
        assert address.startswith("https://firmas.example/"), address
    assert client.get("/s/free-them/es/card.png").status_code == 200


def test_a_draft_is_hidden_from_the_public_but_not_from_members(
    client: Client, statement: Statement, organiser_client: Client, outsider_client: Client
) -> None:
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.DRAFT)
    assert client.get("/s/free-them/en/").status_code == 404
    assert outsider_client.get("/s/free-them/en/").status_code == 404
    assert organiser_client.get("/s/free-them/en/").status_code == 200


def test_organiser_text_is_held_to_the_safe_subset_on_render(
    client: Client, statement: Statement
) -> None:
    # Stored as written (Markdown, which may hold HTML); whatever wrote it, the page shows only
    # the safe subset.
    StatementVersion.objects.filter(statement=statement, language="en").update(
        body='**ok**\n\n<script>alert(2)</script>\n\n<img src="https://evil.example/x.png">'
        '\n\n<p onclick="steal()">text</p>'
    )
    page = client.get("/s/free-them/en/").content.decode()
    assert "<strong>ok</strong>" in page and "<p>text</p>" in page
    assert "alert(2)" not in page and "evil.example" not in page and "steal" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/s/free-them/en/",
        "/s/free-them/en/signatories/",
        "/s/free-them/en/signatories/?before=9999999999999999-999999",
    ],
)
def test_hot_pages_use_a_fixed_number_of_queries(
    client: Client, statement: Statement, url: str, settings: object
) -> None:
    settings.SIGNATORIES_PER_PAGE = 10  # type: ignore[attr-defined]
    make_signature(statement, 0)
    forget_all_cached()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 40):
        make_signature(
            statement,
            n,
            kind="organisation" if n % 5 == 0 else "individual",
            organisation_name=f"Org {n}",
        )
    forget_all_cached()
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    # Reading the statement into the cache is most of them: the statement, its versions, its
    # partners, its latest updates, its next events, its funds and its comment policy (each app
    # registers what it shows). Its comments are read with each render, as the signers are:
    # the threads with the count of all published, then their replies where there are threads
    # (comments.queries).
    assert len(many) <= 13


def test_anonymous_readers_get_the_stored_page_for_two_seconds(
    client: Client,
    statement: Statement,
    organiser_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    still_page_store: float,
) -> None:
    from undersigned.lib import pagecache

    first = client.get("/s/free-them/en/")
    assert first["Cache-Control"] == "public, max-age=2"
    make_signature(statement, 1)  # written behind the application's back
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/s/free-them/en/")
    assert len(queries) == 0
    assert again.content == first.content
    assert "Person Number1" in organiser_client.get("/s/free-them/en/").content.decode()
    monkeypatch.setattr(pagecache, "clock", lambda: still_page_store + 2.1)
    assert "Person Number1" in client.get("/s/free-them/en/").content.decode()


def test_the_live_count_endpoint(client: Client, statement: Statement) -> None:
    make_signature(statement, 1)
    response = client.get("/s/free-them/count.json")
    assert response.json() == {"count": 1, "goal": 100, "progress": 1}
    assert response["Cache-Control"] == "public, max-age=2"
    assert client.get("/s/nope/count.json").status_code == 404


def test_the_organisation_logo_is_served_from_the_site_itself(
    client: Client, statement: Statement, settings: object, tmp_path: object
) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    organisation = statement.organisation
    organisation.logo = SimpleUploadedFile("logo.png", buffer.getvalue(), "image/png")
    organisation.website = "https://red.example.org/"
    organisation.save()
    page = client.get("/s/free-them/en/").content.decode()
    assert f'src="/media/{organisation.logo.name}"' in page
    assert 'href="https://red.example.org/" rel="noopener noreferrer"' in page
    assert client.get(f"/media/{organisation.logo.name}").status_code == 200
    assert client.get("/media/../settings.py").status_code == 404


def test_the_admin_normalises_language_tags_and_refuses_others(statement: Statement) -> None:
    from undersigned.statements.admin import StatementForm, VersionForm

    fields = {"statement": statement.pk, "title": "T", "summary": "S", "body": "<p>B</p>"}
    good = VersionForm(data={**fields, "language": "pt_br"})
    assert good.is_valid(), good.errors
    assert good.cleaned_data["language"] == "pt-BR"
    for bad in ("english", "e", "pt br", ""):
        assert "language" in VersionForm(data={**fields, "language": bad}).errors
    form = StatementForm(
        data={
            "organisation": statement.organisation.pk,
            "slug": "x",
            "status": "draft",
            "default_language": "Spanish",
        }
    )
    assert "default_language" in form.errors


def test_statement_changes_show_at_once_here_and_within_seconds_elsewhere(
    client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersigned.lib import pagecache

    assert client.get("/s/free-them/en/").status_code == 200
    statement.status = Statement.Status.DRAFT
    statement.save()  # through this process: caches are told
    assert client.get("/s/free-them/en/").status_code == 404
    # Another process changes it back: this one sees it once its copy is a few seconds old.
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.OPEN)
    assert client.get("/s/free-them/en/").status_code == 404
    now = pagecache.clock()
    monkeypatch.setattr(pagecache, "clock", lambda: now + 5.1)
    assert client.get("/s/free-them/en/").status_code == 200


def test_an_expired_statement_is_read_again_by_one_thread_while_the_others_keep_it(
    statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersigned.lib import pagecache
    from undersigned.statements import queries

    cached = queries.statement_by_slug("free-them")
    Statement.objects.filter(pk=statement.pk).update(addressed_to="The new minister")
    now = pagecache.clock()
    monkeypatch.setattr(pagecache, "clock", lambda: now + 5.1)
    # Another thread is reading it again: this one answers at once with the copy it has.
    with queries._reloading, CaptureQueriesContext(connection) as queries_run:
        assert queries.statement_by_slug("free-them") is cached
    assert len(queries_run) == 0
    fresh = queries.statement_by_slug("free-them")
    assert fresh is not cached
    assert fresh is not None
    assert fresh.addressed_to == "The new minister"
    # A statement gone from the database is gone from the cache too, stale copy and all.
    Statement.objects.filter(pk=statement.pk).delete()
    monkeypatch.setattr(pagecache, "clock", lambda: now + 10.2)
    assert queries.statement_by_slug("free-them") is None
    assert "free-them" not in queries._statements


def test_stored_pages_still_redirect_to_https(
    client: Client, statement: Statement, settings: object
) -> None:
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    assert client.get("/s/free-them/en/", secure=True).status_code == 200
    response = client.get("/s/free-them/en/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_made_up_query_parameters_are_not_stored(client: Client, statement: Statement) -> None:
    from undersigned.lib import pagecache

    client.get("/s/free-them/en/?utm_source=x")
    client.get("/s/free-them/en/signatories/?kind=organisation")
    assert [pagecache._path(key) for key in pagecache._store] == [
        "/s/free-them/en/signatories/?kind=organisation"
    ]


def test_pages_for_logged_in_people_are_private(
    statement: Statement, organiser_client: Client
) -> None:
    statement.status = Statement.Status.DRAFT
    statement.save()
    response = organiser_client.get("/s/free-them/en/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_on_a_phone_the_count_and_sign_come_before_the_demands_and_the_demands_before_the_text(
    client: Client, statement: Statement
) -> None:
    page = client.get("/s/free-them/en/").content.decode()
    lead = page.index('class="lead-count"')
    sign = page.index('href="#sign"')
    demands = page.index('class="demands"')
    body = page.index('class="body"')
    assert page.index("<h1>") < lead < sign < demands < body
    assert page.index('id="sign"') > body  # the form itself, further down


@pytest.mark.parametrize(("language", "shown"), [("en", "4,812"), ("es", "4\xa0812")])
def test_counts_are_written_as_the_pages_language_writes_numbers(
    client: Client,
    statement: Statement,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    shown: str,
) -> None:
    from undersigned.public.views import statements as views

    monkeypatch.setattr(views, "signature_count", lambda statement: 4812)
    statement.goal = 10_000
    statement.save()
    page = client.get(f"/s/free-them/{language}/").content.decode()
    assert f"<strong>{shown}</strong>" in page
    assert shown.replace("4", "10").replace("812", "000") in page  # the goal: 10,000 / 10.000
    assert 'value="48"' in page  # attributes keep plain numbers


def test_the_organisations_country_gives_a_bare_language_its_region(
    organiser_client: Client, client: Client, statement: Statement
) -> None:
    response = organiser_client.post(
        "/dashboard/o/red-estudiantil/",
        {"name": "Red Estudiantil", "website": "", "accent_colour": "", "country": "PE"},
    )
    assert response.status_code == 302
    statement.organisation.refresh_from_db()
    assert statement.organisation.country == "PE"
    statement.save()  # tells the caches, as the dashboard's form does for its statements
    page = client.get("/s/free-them/es/").content.decode()
    assert '<meta property="og:locale" content="es_PE">' in page
    assert '<meta property="og:locale:alternate" content="en_US">' in page
    # A country that is none: a clear error, nothing changed.
    refused = organiser_client.post(
        "/dashboard/o/red-estudiantil/",
        {"name": "Red Estudiantil", "website": "", "accent_colour": "", "country": "XX"},
    )
    assert refused.status_code == 400 or "errorlist" in refused.content.decode()
    statement.organisation.refresh_from_db()
    assert statement.organisation.country == "PE"
