"""A fund's public pages: the page in each language, pledging (confirmed by a POST from the
emailed link, the same answer whatever the address did before, robots held), a bank
transfer's reference and details with the EPC QR code for euros, the donor list, and a fund
that takes no more gifts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.events.models import Attendee
from undersigned.events.tests.conftest import link, send_emails
from undersigned.funds import actions, epc, totals
from undersigned.funds.models import Contribution, Fund
from undersigned.funds.tests.conftest import make_fund
from undersigned.funds.tests.test_epc import decode_qr_svg
from undersigned.lib import pagecache, proof
from undersigned.lib.formtoken import issue
from undersigned.public.views import formguard
from undersigned.public.views import funds as fund_views


@pytest.fixture(autouse=True)
def _fresh_totals() -> Iterator[None]:
    """Totals are kept per fund id, and ids repeat from one test to the next."""
    totals.forget_all()
    yield
    totals.forget_all()


def gift_data(fund: Fund, **overrides: Any) -> dict[str, Any]:
    """A fund's form as a person's browser sends it: its page loaded a minute ago, the proof of
    work done over the address (an empty one where the form has none)."""
    data: dict[str, Any] = {
        "form_token": issue(f"fund-{fund.pk}", at=time.time() - 60),
        "amount": "25",
        "name": "Rosa Parks",
        "email": "rosa@example.net",
        "consent": "on",
    }
    data.update(overrides)
    if "proof" not in data:
        email = data.get("email") or ""
        data["proof"] = proof.solve(str(data["form_token"]), email, settings.SIGN_PROOF_BITS)
    return {key: value for key, value in data.items() if value is not None}


def _pledge(client: Client, fund: Fund, language: str = "en", **overrides: Any) -> Any:
    return client.post(f"/f/{fund.pk}/{language}/pledge/", gift_data(fund, **overrides))


def _transfer(client: Client, fund: Fund, language: str = "en", **overrides: Any) -> Any:
    return client.post(f"/f/{fund.pk}/{language}/transfer/", gift_data(fund, **overrides))


def _cash(fund: Fund, amount: int, **fields: Any) -> Contribution:
    return actions.add_entry(
        fund,
        method=Contribution.Method.CASH,
        amount=amount,
        received_on=timezone.localdate(),
        **fields,
    )


def test_the_page_in_english_and_in_spanish_writes_the_figures_for_its_language(
    client: Client, fund: Fund
) -> None:
    _cash(fund, 124_000)
    english = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert '<article class="fund" lang="en"' in english
    assert "<h1>Fighting fund</h1>" in english and "<strong>legal costs</strong>" in english
    assert "£1,240 raised of £5,000" in english and "24%" in english
    assert f'action="/f/{fund.pk}/en/pledge/"' in english
    assert f'action="/f/{fund.pk}/en/transfer/"' in english
    assert "Sort code 08-60-01" in english
    spanish = client.get(f"/f/{fund.pk}/es/").content.decode()
    assert '<html lang="es"' in spanish and '<article class="fund" lang="es"' in spanish
    assert "<h1>Fondo de lucha</h1>" in spanish and "<strong>gastos legales</strong>" in spanish
    assert "1.240\xa0GBP" in spanish and "5.000\xa0GBP" in spanish
    assert "£1,240" not in spanish
    assert f'action="/f/{fund.pk}/es/pledge/"' in spanish
    # The other version is a link away; the statement in the same language too.
    assert f'href="/f/{fund.pk}/en/"' in spanish and 'href="/s/free-them/es/"' in spanish


def test_counts_are_grouped_as_the_language_groups_them(client: Client, fund: Fund) -> None:
    Contribution.objects.bulk_create(
        Contribution(
            fund=fund,
            state=Contribution.State.RECEIVED,
            method=Contribution.Method.CASH,
            amount=100,
            received_on=timezone.localdate(),
        )
        for _ in range(1_234)
    )
    totals.forget(fund)
    assert "1,234 gifts" in client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "1.234" in client.get(f"/f/{fund.pk}/es/").content.decode()


def test_the_short_address_goes_to_the_readers_language(client: Client, fund: Fund) -> None:
    response = client.get(f"/f/{fund.pk}/", headers={"accept-language": "es-419,es;q=0.9"})
    assert (response.status_code, response["Location"]) == (302, f"/f/{fund.pk}/es/")
    response = client.get(f"/f/{fund.pk}/", headers={"accept-language": "de"})
    assert response["Location"] == f"/f/{fund.pk}/en/"
    assert client.get(f"/f/{fund.pk}/fr/").status_code == 404
    assert client.get("/f/999999/en/").status_code == 404


def test_a_draft_is_for_its_organisers_only(
    client: Client, fund: Fund, organiser_client: Client, outsider_client: Client
) -> None:
    Fund.objects.filter(pk=fund.pk).update(published_at=None)
    assert client.get(f"/f/{fund.pk}/en/").status_code == 404
    assert outsider_client.get(f"/f/{fund.pk}/en/").status_code == 404
    page = organiser_client.get(f"/f/{fund.pk}/en/")
    assert page.status_code == 200
    assert "A draft: only the organisers see this page." in page.content.decode()
    assert "pledge/" not in page.content.decode()  # no gifts before it is published
    assert "no-store" in page["Cache-Control"]


def test_a_pledge_is_confirmed_by_a_post_from_the_emailed_link(client: Client, fund: Fund) -> None:
    response = _pledge(client, fund, "es", amount="30,50")
    assert (response.status_code, response["Location"]) == (303, f"/f/{fund.pk}/es/check-email/")
    assert "Fondo de lucha" in client.get(response["Location"]).content.decode()
    entry = Contribution.objects.get()
    assert (entry.state, entry.amount, entry.language, entry.hold_reason) == (
        Contribution.State.PENDING,
        3_050,
        "es",
        "",
    )
    assert totals.totals(fund).pledged == 0
    (confirmation,) = send_emails()
    assert confirmation.to == ["rosa@example.net"]
    path = link(confirmation, r"/f/\d+/pledge/[-\w]+/")
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<button" in html and "Rosa Parks" in html and "30,50" in html
    entry.refresh_from_db()
    assert entry.state == Contribution.State.PENDING  # a GET confirms nothing
    answer = client.post(path)
    assert (answer.status_code, answer["Location"]) == (303, f"/f/{fund.pk}/es/pledged/")
    assert client.get(answer["Location"]).status_code == 200
    entry.refresh_from_db()
    assert entry.state == Contribution.State.PLEDGED
    found = totals.totals(fund)
    assert (found.pledged, found.pledges, found.received) == (3_050, 1, 0)
    # Used: the link says it does not work, and nothing more.
    again = client.post(path)
    assert again.status_code == 404
    assert "This link does not work" in again.content.decode()


def test_an_unknown_link_is_a_neutral_404(client: Client, fund: Fund) -> None:
    for url in (
        f"/f/{fund.pk}/pledge/a-token-nobody-was-ever-sent-xx/",
        "/f/999999/pledge/a-token-nobody-was-ever-sent-xx/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()


def test_the_same_answer_and_work_whatever_the_address_did_before(
    client: Client, fund: Fund
) -> None:
    first = _pledge(client, fund)
    client.post(link(send_emails()[0], r"/f/\d+/pledge/[-\w]+/"))
    # In one minute of the rate counters: a new minute's first count inserts its row.
    with time_machine.travel(timezone.now(), tick=False):
        with CaptureQueriesContext(connection) as known:
            second = _pledge(client, fund)
        with CaptureQueriesContext(connection) as new:
            third = _pledge(client, fund, email="someone.else@example.net")
    assert first.status_code == second.status_code == third.status_code == 303
    assert first["Location"] == second["Location"] == third["Location"]

    def writes(queries: CaptureQueriesContext) -> list[str]:
        return [
            q["sql"].split()[0] + " " + q["sql"].split()[2]
            for q in queries.captured_queries
            if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
        ]

    assert writes(known) == writes(new)
    assert len(send_emails()) == 2
    # A second pledge from an address is a second pledge.
    assert Contribution.objects.filter(email_canonical="rosa@example.net").count() == 2


@pytest.mark.parametrize("reason", [formguard.HONEYPOT, formguard.TOO_FAST, formguard.NO_PROOF])
def test_a_robots_pledge_is_held_and_sent_nothing(client: Client, fund: Fund, reason: str) -> None:
    robot = {
        # A field people do not see, filled in.
        formguard.HONEYPOT: {"website": "http://spam.example"},
        # Sent as soon as the page came.
        formguard.TOO_FAST: {"form_token": issue(f"fund-{fund.pk}", at=time.time())},
        # No browser's proof of work.
        formguard.NO_PROOF: {"proof": ""},
    }[reason]
    response = _pledge(client, fund, **robot)
    assert (response.status_code, response["Location"]) == (303, f"/f/{fund.pk}/en/check-email/")
    assert Contribution.objects.get().hold_reason == reason
    assert send_emails() == []
    # The transfer form the same way: its reference is given, its email not sent.
    response = _transfer(client, fund, **robot)
    assert response.status_code == 303
    assert Contribution.objects.get(method=Contribution.Method.BANK).hold_reason == reason
    assert send_emails() == []


def test_the_guards_reasons_are_those_of_the_models_that_keep_them() -> None:
    reasons = {formguard.HONEYPOT, formguard.TOO_FAST, formguard.NO_PROOF}
    assert reasons <= set(Contribution.HoldReason.values)
    assert reasons <= set(Attendee.HoldReason.values)


def test_a_form_from_another_site_or_with_a_forged_token_is_refused(
    client: Client, fund: Fund
) -> None:
    response = client.post(
        f"/f/{fund.pk}/en/pledge/", gift_data(fund), headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "could not be accepted" in response.content.decode()
    forged = _pledge(client, fund, form_token="fund-1:forged:signature")
    assert forged.status_code == 403
    assert not Contribution.objects.exists()


def test_a_page_open_too_long_asks_to_send_again(client: Client, fund: Fund) -> None:
    old = issue(f"fund-{fund.pk}", at=time.time() - 4 * 24 * 3600)
    response = _pledge(client, fund, form_token=old)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This page was open for a long time" in page
    assert 'value="Rosa Parks"' in page  # what was typed is kept
    assert not Contribution.objects.exists()


def test_a_bad_amount_is_refused_in_the_pages_language(client: Client, fund: Fund) -> None:
    response = _pledge(client, fund, "es", amount="mucho")
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="es"' in page
    errors = re.search(r'<div class="error">(.*?)</div>', page, re.DOTALL)
    assert errors is not None
    # The example is written as Spanish readers write it.
    assert "20\xa0GBP" in errors[1] and "£20" not in errors[1]
    assert "Escribe una cantidad" in errors[1]
    too_much = _pledge(client, fund, "es", amount="20.000")
    assert too_much.status_code == 400
    assert "10.000\xa0GBP" in too_much.content.decode()
    assert not Contribution.objects.exists()


def test_a_transfer_gives_a_reference_and_the_accounts_details(client: Client, fund: Fund) -> None:
    response = _transfer(client, fund, amount="25", email="")
    assert response.status_code == 303
    entry = Contribution.objects.get()
    assert entry.state == Contribution.State.EXPECTED and entry.transfer_code
    assert response["Location"] == f"/f/{fund.pk}/en/transfer/{entry.transfer_code}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert f'<p class="reference" translate="no">{entry.transfer_code}</p>' in html
    assert "£25" in html and "Solidarity Network" in html and "Sort code 08-60-01" in html
    # A pound account: no EPC QR code, which is for euro transfers.
    assert "<svg" not in html
    # Whoever has the address sees neither the donor's name nor their address.
    assert "Rosa" not in html
    assert send_emails() == []  # no address given


def test_the_details_page_hides_the_donors_name_and_address(client: Client, fund: Fund) -> None:
    _transfer(client, fund, amount="", name="Rosa Parks", email="rosa@example.net")
    entry = Contribution.objects.get()
    assert entry.amount == 0
    code = str(entry.transfer_code)
    html = client.get(f"/f/{fund.pk}/en/transfer/{code}/").content.decode()
    assert code in html
    assert "Rosa" not in html and "rosa@example.net" not in html
    assert "Amount:" not in html
    (details,) = send_emails()
    assert details.to == ["rosa@example.net"] and code in details.body


def test_a_euro_account_gets_an_epc_qr_code_a_banking_app_reads(client: Client, fund: Fund) -> None:
    euros = make_fund(
        fund.organisation,
        None,
        currency="EUR",
        bank_holder="Coordinadora Solidaria",
        bank_iban="ES91 2100 0418 4502 0005 1332",
        bank_bic="CAIXESBBXXX",
        bank_details="",
    )
    response = _transfer(client, euros, "es", amount="25,50", email="")
    entry = Contribution.objects.get()
    html = client.get(response["Location"]).content.decode()
    assert "ES91 2100 0418 4502 0005 1332" in html  # the IBAN in groups of four
    svg = re.search(r'<div class="epc-qr"><svg.*?</svg>', html, re.DOTALL)
    assert svg is not None
    assert decode_qr_svg(svg[0]) == epc.epc_payload(
        name="Coordinadora Solidaria",
        iban="ES9121000418450200051332",
        bic="CAIXESBBXXX",
        amount=2_550,
        reference=str(entry.transfer_code),
    )
    assert "EUR25.50" in decode_qr_svg(svg[0])


def test_a_reference_of_another_fund_or_none_is_a_404(
    client: Client, fund: Fund, organisation: Any
) -> None:
    other = make_fund(organisation, None)
    _transfer(client, other, email="")
    code = Contribution.objects.get().transfer_code
    assert client.get(f"/f/{other.pk}/en/transfer/{code}/").status_code == 200
    assert client.get(f"/f/{fund.pk}/en/transfer/{code}/").status_code == 404
    assert client.get(f"/f/{fund.pk}/en/transfer/UNKNOWN1/").status_code == 404
    Contribution.objects.update(state=Contribution.State.VOID)
    assert client.get(f"/f/{other.pk}/en/transfer/{code}/").status_code == 404


def test_a_closed_fund_shows_no_form_and_refuses_gifts_plainly(client: Client, fund: Fund) -> None:
    _cash(fund, 10_000)
    Fund.objects.filter(pk=fund.pk).update(closed_at=timezone.now())
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "£100 raised of £5,000" in page and "Giving has closed" in page
    assert '<form method="post" action="/f/' not in page
    assert "This fund takes no gifts now" in page
    for response in (_pledge(client, fund), _transfer(client, fund)):
        assert response.status_code == 409
        assert "This fund takes no more gifts of that kind: nothing was recorded." in (
            response.content.decode()
        )
    assert Contribution.objects.count() == 1


def test_a_fund_without_pledges_or_an_account_offers_neither(
    client: Client, organisation: Any
) -> None:
    fund = make_fund(organisation, None, pledges_open=False, bank_holder="", bank_details="")
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "/pledge/" not in page and "/transfer/" not in page
    assert _pledge(client, fund).status_code == 409
    assert _transfer(client, fund).status_code == 409
    assert not Contribution.objects.exists()


def test_the_donor_list_names_only_those_who_asked(client: Client, organisation: Any) -> None:
    fund = make_fund(organisation, None, show_donors=True)
    _cash(fund, 5_000, donor_name="Ana Named", show_name=True)
    _cash(fund, 7_000, donor_name="Bea Anonymous")
    _cash(fund, 9_000)
    Contribution.objects.create(
        fund=fund,
        state=Contribution.State.PLEDGED,
        method=Contribution.Method.OTHER,
        amount=100,
        donor_name="Carla Pledged",
        show_name=True,
    )
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    donors = re.search(r'<ul class="donor-list">(.*?)</ul>', page, re.DOTALL)
    assert donors is not None
    assert re.findall(r"<li>(.*?)</li>", donors[1]) == ["Ana Named"]
    assert "£50" not in donors[1]  # names, never amounts
    assert "Bea Anonymous" not in page and "Carla Pledged" not in page
    # The box to be named is on the forms of a fund that lists donors, unticked.
    assert 'name="show_name"' in page and "checked" not in page.split('name="show_name"')[1][:40]
    Fund.objects.filter(pk=fund.pk).update(show_donors=False)
    totals.forget(fund)
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "Ana Named" not in page and 'name="show_name"' not in page


@dataclass(frozen=True)
class _FakeProvider:
    name: str = "stripe"
    label: str = "Stripe"
    host: str = "checkout.stripe.com"


def test_the_card_form_shows_where_the_donor_goes_only_with_a_provider(
    client: Client, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "/give/" not in page
    monkeypatch.setattr(fund_views, "_card_provider", lambda: _FakeProvider())
    pagecache.clear()
    response = client.get(f"/f/{fund.pk}/en/")
    page = response.content.decode()
    assert f'action="/f/{fund.pk}/en/give/"' in page
    assert (
        "You pay on Stripe’s page, checkout.stripe.com; no Stripe script runs on this site." in page
    )
    assert "form-action 'self' https://checkout.stripe.com" in response["Content-Security-Policy"]
    Fund.objects.filter(pk=fund.pk).update(online_open=False)
    pagecache.clear()
    assert "/give/" not in client.get(f"/f/{fund.pk}/en/").content.decode()


def test_a_stored_page_keeps_the_policy_that_lets_its_card_form_leave_the_site(
    client: Client, fund: Fund, monkeypatch: pytest.MonkeyPatch, still_page_store: float
) -> None:
    monkeypatch.setattr(fund_views, "_card_provider", lambda: _FakeProvider())
    pagecache.clear()
    first = client.get(f"/f/{fund.pk}/en/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"/f/{fund.pk}/en/")
    assert len(queries) == 0 and again.content == first.content
    # The form's 303 to the provider is followed only where the policy names its host.
    for response in (first, again):
        assert (
            "form-action 'self' https://checkout.stripe.com" in response["Content-Security-Policy"]
        )


def test_the_page_is_stored_for_anonymous_readers(
    client: Client, fund: Fund, still_page_store: float
) -> None:
    first = client.get(f"/f/{fund.pk}/en/")
    assert first["Cache-Control"] == "public, max-age=2"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"/f/{fund.pk}/en/")
    assert len(queries) == 0 and again.content == first.content


def test_an_events_page_shows_the_thermometer_of_its_fund(client: Client, fund: Fund) -> None:
    from undersigned.events.tests.conftest import make_event

    event = make_event(fund.organisation)
    assert "fund-box" not in client.get(f"/e/{event.pk}/es/").content.decode()
    Fund.objects.filter(pk=fund.pk).update(event=event)
    actions.add_entry(
        fund, method=Contribution.Method.CASH, amount=24_000, received_on=timezone.localdate()
    )
    pagecache.clear()
    page = client.get(f"/e/{event.pk}/es/").content.decode()
    assert "Fondo de lucha" in page and "240\xa0GBP recaudados" in page
    assert f'href="/f/{fund.pk}/es/"' in page
