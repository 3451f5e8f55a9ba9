"""Card payments through Stripe Checkout, end to end against a local fake of Stripe (its API on
loopback, the official library pointed at it, and a webhook sender that signs as Stripe does):
the thermometer moves only from a verified webhook event, once, in integer minor units."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.events.tests.conftest import send_emails
from undersigned.funds import stripe_checkout, totals
from undersigned.funds.models import Contribution, Fund, ProviderEvent
from undersigned.funds.providers import InvalidNotice, provider
from undersigned.funds.tests.conftest import make_fund
from undersigned.funds.tests.fake_stripe import (
    FakeStripe,
    completed,
    event,
    expired,
    running,
    signature,
    signed,
)
from undersigned.lib import proof
from undersigned.lib.formtoken import issue

pytestmark = pytest.mark.django_db

WEBHOOK = "/funds/webhook/stripe/"


@pytest.fixture(autouse=True)
def _no_totals_of_other_tests() -> None:
    """Totals are cached by fund id, and ids repeat from one test to the next."""
    totals.forget_all()


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    with running(settings) as fake:
        yield fake


@pytest.fixture
def card_fund(fund: Fund) -> Fund:
    fund.online_open = True
    fund.save(update_fields=("online_open",))
    return fund


def give_data(fund: Fund, **overrides: Any) -> dict[str, Any]:
    """The card form as a person's browser sends it: its page loaded a minute ago, the proof of
    work done (over no address: the form has none)."""
    data: dict[str, Any] = {
        "form_token": issue(f"fund-{fund.pk}", at=time.time() - 60),
        "amount": "25.50",
        "name": "Ana Quispe",
    }
    data.update(overrides)
    if "proof" not in data:
        data["proof"] = proof.solve(str(data["form_token"]), "", settings.SIGN_PROOF_BITS)
    return {key: value for key, value in data.items() if value is not None}


def give(client: Client, fund: Fund, language: str = "en", **overrides: Any) -> Any:
    return client.post(f"/f/{fund.pk}/{language}/give/", give_data(fund, **overrides))


def send(client: Client, data: dict[str, Any], **options: Any) -> Any:
    """The webhook sender: the event, signed, to the site."""
    body, headers = signed(data, **options)
    return client.post(
        WEBHOOK,
        body,
        content_type=headers["Content-Type"],
        headers={"Stripe-Signature": headers["Stripe-Signature"]},
    )


def received(fund: Fund) -> tuple[int, int]:
    """The thermometer: received, and of it online."""
    found = totals.totals(fund)
    return found.received, dict(found.by_channel)["online"]


def _began(client: Client, fund: Fund, fake: FakeStripe, **overrides: Any) -> dict[str, Any]:
    """A card payment begun: the fake's session for it."""
    response = give(client, fund, **overrides)
    assert response.status_code == 303, response.content.decode()
    session_id = response["Location"].rsplit("/", 1)[-1]
    return fake.sessions[session_id]


def test_a_card_gift_counts_once_from_the_signed_webhook_only(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    fund = card_fund
    response = give(client, fund)
    # On to the provider's page: the session the fake made, with what the form said.
    assert response.status_code == 303
    [session_id] = fake_stripe.sessions
    assert response["Location"] == fake_stripe.pay_url(session_id)
    [sent] = fake_stripe.created
    entry = Contribution.objects.get()
    assert sent["line_items[0][price_data][unit_amount]"] == "2550"
    assert sent["line_items[0][price_data][currency]"] == "gbp"
    assert sent["line_items[0][price_data][product_data][name]"] == "Fighting fund"
    assert sent["line_items[0][quantity]"] == "1"
    assert (sent["mode"], sent["submit_type"], sent["locale"]) == ("payment", "donate", "en")
    assert sent["client_reference_id"] == str(entry.pk)
    assert (sent["metadata[contribution]"], sent["metadata[fund]"]) == (
        str(entry.pk),
        str(fund.pk),
    )
    # On the payment too, whose charge a refund names.
    assert (
        sent["payment_intent_data[metadata][contribution]"],
        sent["payment_intent_data[metadata][fund]"],
    ) == (str(entry.pk), str(fund.pk))
    assert sent["success_url"] == (
        f"{settings.SITE_URL}/f/{fund.pk}/en/thanks/?session={{CHECKOUT_SESSION_ID}}"
    )
    assert sent["cancel_url"] == f"{settings.SITE_URL}/f/{fund.pk}/en/"
    assert fake_stripe.headers[0]["Authorization"] == f"Bearer {settings.STRIPE_SECRET_KEY}"
    assert (entry.state, entry.method, entry.provider) == ("expected", "online", "stripe")
    assert (entry.amount, entry.provider_session, entry.donor_name) == (
        2550,
        session_id,
        "Ana Quispe",
    )
    # The fake's payment page is there to be opened.
    with urllib.request.urlopen(response["Location"]) as page:  # noqa: S310 - loopback
        assert b"payment page" in page.read()

    # Back from the provider before its webhook: thanks, being confirmed, nothing counted.
    thanks = client.get(f"/f/{fund.pk}/en/thanks/?session={session_id}")
    assert thanks.status_code == 200
    assert "being confirmed" in thanks.content.decode()
    assert received(fund) == (0, 0)

    # The signed event: counted, the amount in minor units, a receipt queued.
    session = fake_stripe.sessions[session_id]
    paid = event("checkout.session.completed", completed(session))
    assert send(client, paid).status_code == 200
    assert received(fund) == (2550, 2550)
    entry.refresh_from_db()
    assert (entry.state, entry.donor_email, entry.email_canonical) == (
        "received",
        "ana@example.net",
        "ana@example.net",
    )
    assert entry.provider_payment == f"pi_{session_id.removeprefix('cs_test_')}"
    [receipt] = send_emails()
    assert receipt.to == ["ana@example.net"]
    assert "£25.50" in receipt.subject
    thanks = client.get(f"/f/{fund.pk}/en/thanks/?session={session_id}")
    assert "is received" in thanks.content.decode()

    def ledger() -> list[tuple[Any, ...]]:
        return list(Contribution.objects.values_list("pk", "state", "amount", "changed_at"))

    before = ledger()
    # The same event again: 200, and nothing changes.
    assert send(client, paid).status_code == 200
    # An "expired" for the session after its "paid": out of order, it changes nothing.
    assert send(client, event("checkout.session.expired", expired(session))).status_code == 200
    assert ledger() == before
    assert received(fund) == (2550, 2550)
    assert ProviderEvent.objects.filter(event_id=paid["id"]).count() == 1
    assert send_emails() == []

    # Refused, changing nothing: forged (another secret), unsigned, stale, too large.
    forged = event("checkout.session.completed", completed(session, amount_total=999_999))
    assert send(client, forged, secret="whsec_not_the_right_one").status_code == 400
    body, _headers = signed(forged)
    unsigned = client.post(WEBHOOK, body, content_type="application/json")
    assert unsigned.status_code == 400
    assert send(client, forged, at=time.time() - 301).status_code == 400
    large = {**forged, "padding": "x" * (64 * 1024)}
    assert send(client, large).status_code == 413
    assert ledger() == before
    assert ProviderEvent.objects.count() == 2

    # A paid event in another currency than the fund's records nothing.
    other = _began(client, fund, fake_stripe, amount="10")
    in_euros = completed(other, currency="eur")
    assert send(client, event("checkout.session.completed", in_euros)).status_code == 200
    assert Contribution.objects.get(provider_session=other["id"]).state == "expected"
    assert received(fund) == (2550, 2550)

    # The refund at Stripe voids the gift, and the thermometer goes back.
    refund = event("charge.refunded", fake_stripe.refunded_charge(session))
    assert send(client, refund).status_code == 200
    entry.refresh_from_db()
    assert (entry.state, entry.void_reason) == ("void", "Refunded at Stripe.")
    assert received(fund) == (0, 0)


def test_coming_back_from_the_provider_records_nothing(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    session = _began(client, card_fund, fake_stripe)
    for _ in range(2):
        response = client.get(f"/f/{card_fund.pk}/en/thanks/?session={session['id']}")
        assert response.status_code == 200
        assert "being confirmed" in response.content.decode()
    # With another session's id, or none, the same page.
    for query in ("?session=cs_test_someone_else", ""):
        response = client.get(f"/f/{card_fund.pk}/en/thanks/{query}")
        assert "being confirmed" in response.content.decode()
    assert client.post(f"/f/{card_fund.pk}/en/thanks/?session={session['id']}").status_code == 405
    assert Contribution.objects.get().state == Contribution.State.EXPECTED
    assert received(card_fund) == (0, 0)
    assert ProviderEvent.objects.count() == 0
    assert mail.outbox == [] and send_emails() == []


def test_without_a_key_there_are_no_card_payments(
    client: Client, card_fund: Fund, settings: Any
) -> None:
    assert settings.STRIPE_SECRET_KEY == ""
    assert provider() is None
    # Nor with a key but no webhook secret: nothing could record the payments.
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    assert provider() is None
    assert give(client, card_fund).status_code == 404
    assert send(client, event("checkout.session.completed", {"id": "cs_test_x"})).status_code == 404
    assert not Contribution.objects.exists()


def test_a_fund_that_takes_no_card_payments_begins_none(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    card_fund.online_open = False
    card_fund.save(update_fields=("online_open",))
    assert give(client, card_fund).status_code == 404
    card_fund.online_open = True
    card_fund.closed_at = card_fund.published_at
    card_fund.save(update_fields=("online_open", "closed_at"))
    assert give(client, card_fund).status_code == 409
    assert fake_stripe.created == []
    assert not Contribution.objects.exists()


def test_a_form_with_errors_is_shown_again_and_goes_nowhere(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    response = give(client, card_fund, amount="lots")
    assert response.status_code == 400
    assert "Write an amount" in response.content.decode()
    response = give(client, card_fund, amount="0.50")
    assert response.status_code == 400
    assert "Give between" in response.content.decode()
    assert fake_stripe.created == []
    assert not Contribution.objects.exists()


def test_a_form_from_elsewhere_or_forged_is_refused(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    response = client.post(
        f"/f/{card_fund.pk}/en/give/",
        give_data(card_fund),
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert give(client, card_fund, form_token="forged").status_code == 403
    # A token of another form (an event's) is no token of this one.
    assert give(client, card_fund, form_token=issue(f"event-{card_fund.pk}")).status_code == 403
    assert fake_stripe.created == []
    assert not Contribution.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [{"website": "http://spam.example"}, {"proof": ""}, {"form_token": "now"}],
    ids=["honeypot", "no-proof", "too-fast"],
)
def test_a_robots_form_is_not_sent_to_the_provider(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe, overrides: dict[str, str]
) -> None:
    """Donation forms are where stolen cards are tested in bulk."""
    if overrides.get("form_token") == "now":
        overrides = {"form_token": issue(f"fund-{card_fund.pk}")}
    response = give(client, card_fund, **overrides)
    assert response.status_code == 429
    assert "could not begin" in response.content.decode()
    assert fake_stripe.created == []
    assert not Contribution.objects.exists()


def test_too_many_from_one_network_are_not_sent_to_the_provider(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe, settings: Any
) -> None:
    settings.SIGN_RATE_LIMITS = "2/3600"
    assert [give(client, card_fund).status_code for _ in range(3)] == [303, 303, 429]
    assert len(fake_stripe.created) == 2
    assert Contribution.objects.count() == 2


def test_when_the_provider_fails_the_line_lapses_and_the_donor_is_told(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    fake_stripe.fail_with = 500
    response = give(client, card_fund)
    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    entry = Contribution.objects.get()
    assert (entry.state, entry.provider_session) == ("lapsed", None)
    assert received(card_fund) == (0, 0)


def test_the_provider_unreachable_is_the_same(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe, settings: Any
) -> None:
    from undersigned.conftest import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    assert give(client, card_fund).status_code == 503
    assert Contribution.objects.get().state == "lapsed"


def test_the_provider_page_is_in_the_forms_language_where_stripe_has_it(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    assert give(client, card_fund, "es").status_code == 303
    sent = fake_stripe.created[-1]
    assert sent["locale"] == "es"
    assert sent["line_items[0][price_data][product_data][name]"] == "Fondo de lucha"
    assert sent["success_url"].endswith(
        f"/f/{card_fund.pk}/es/thanks/?session={{CHECKOUT_SESSION_ID}}"
    )
    assert Contribution.objects.get().language == "es"
    assert [stripe_checkout.locale(tag) for tag in ("es-419", "es-PE", "pt-br", "qu", "no")] == [
        "es-419",
        "es",
        "pt-BR",
        "auto",
        "nb",
    ]


def test_a_currency_without_minor_units_goes_as_it_is(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    fund = make_fund(card_fund.organisation, currency="JPY", min_amount=100, target=1_000_000)
    session = _began(client, fund, fake_stripe, amount="1500")
    assert fake_stripe.created[-1]["line_items[0][price_data][unit_amount]"] == "1500"
    assert fake_stripe.created[-1]["line_items[0][price_data][currency]"] == "jpy"
    assert send(client, event("checkout.session.completed", completed(session))).status_code == 200
    assert received(fund) == (1500, 1500)


@pytest.mark.parametrize(
    ("currency", "typed", "ledger", "sent"),
    [
        # Two decimals in ISO 4217 and for Stripe's charges (CLDR's cash digits say none).
        ("HUF", "5000", 500_000, 500_000),
        ("JPY", "1200", 1200, 1200),
        # No decimals in ISO 4217; Stripe takes it as two-decimal amounts ending in 00.
        ("ISK", "5000", 5000, 500_000),
        ("UGX", "5000", 5000, 500_000),
        # Three decimals, the last of which Stripe wants as 0.
        ("KWD", "12.340", 12_340, 12_340),
        # Two decimals in ISO 4217, none at Stripe.
        ("MGA", "1500", 150_000, 1500),
    ],
)
def test_amounts_go_to_stripe_in_its_own_units_and_come_back_in_the_ledgers(
    client: Client,
    card_fund: Fund,
    fake_stripe: FakeStripe,
    currency: str,
    typed: str,
    ledger: int,
    sent: int,
) -> None:
    fund = make_fund(
        card_fund.organisation, currency=currency, min_amount=1, max_amount=10**9, target=10**9
    )
    session = _began(client, fund, fake_stripe, amount=typed)
    form = fake_stripe.created[-1]
    assert form["line_items[0][price_data][unit_amount]"] == str(sent)
    assert form["line_items[0][price_data][currency]"] == currency.lower()
    assert Contribution.objects.get(fund=fund).amount == ledger
    # Stripe's amount_total is in its units: the ledger counts it in ISO 4217's.
    assert session["amount_total"] == sent
    assert send(client, event("checkout.session.completed", completed(session))).status_code == 200
    assert received(fund) == (ledger, ledger)
    refund = event("charge.refunded", fake_stripe.refunded_charge(session))
    assert send(client, refund).status_code == 200
    assert Contribution.objects.get(fund=fund).state == "void"


@pytest.mark.parametrize(
    ("currency", "typed"), [("KWD", "12.345"), ("MGA", "15.50"), ("IQD", "1.234")]
)
def test_an_amount_stripe_cannot_take_exactly_is_a_form_error(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe, currency: str, typed: str
) -> None:
    fund = make_fund(
        card_fund.organisation, currency=currency, min_amount=1, max_amount=10**9, target=10**9
    )
    response = give(client, fund, amount=typed)
    assert response.status_code == 400
    form = response.context["card_form"]
    assert list(form.errors) == ["amount"]
    assert "Card payments cannot take this exact amount" in form.errors["amount"][0]
    assert "Round it" in response.content.decode()
    assert fake_stripe.created == []
    assert not Contribution.objects.exists()


def test_the_form_error_suggests_an_amount_stripe_takes(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    fund = make_fund(
        card_fund.organisation, currency="KWD", min_amount=1, max_amount=10**9, target=10**9
    )
    response = give(client, fund, amount="12.345")
    assert "KWD12.340" in response.context["card_form"].errors["amount"][0]


def test_stripes_units_convert_exactly_or_not_at_all() -> None:
    convert = stripe_checkout.stripe_amount
    back = stripe_checkout.ledger_amount
    accepts = stripe_checkout.accepts
    assert [convert(2550, "GBP"), convert(500_000, "HUF"), convert(1200, "JPY")] == [
        2550,
        500_000,
        1200,
    ]
    assert [convert(5000, "ISK"), convert(7, "UGX"), convert(12_340, "KWD")] == [
        500_000,
        700,
        12_340,
    ]
    assert [convert(150_000, "MGA"), convert(1230, "IQD"), convert(1230, "LYD")] == [1500, 123, 123]
    assert [back(500_000, "ISK"), back(1500, "MGA"), back(123, "IQD"), back(12_340, "KWD")] == [
        5000,
        150_000,
        1230,
        12_340,
    ]
    assert all(accepts(amount, "ISK") for amount in (1, 5000, 999_999))
    assert not accepts(12_345, "KWD") and accepts(12_340, "KWD")
    assert not accepts(150_050, "MGA") and accepts(150_000, "MGA")
    assert not accepts(1234, "IQD")
    for currency, amount in (("KWD", 12_345), ("MGA", 150_050), ("IQD", 1234)):
        with pytest.raises(ValueError):
            convert(amount, currency)
    # Stripe never sends an ISK amount with decimals: one would not be believed.
    with pytest.raises(ValueError):
        back(500_050, "ISK")
    adapter = stripe_checkout.StripeCheckout()
    assert adapter.accepts(12_340, "KWD") and not adapter.accepts(12_345, "KWD")


def test_a_refund_before_its_payment_is_sent_again_not_lost(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    session = _began(client, card_fund, fake_stripe)
    refund = event("charge.refunded", fake_stripe.refunded_charge(session))
    # Stripe sends events in no set order: a 503 and nothing recorded, so it sends it again.
    assert send(client, refund).status_code == 503
    assert not ProviderEvent.objects.exists()
    assert Contribution.objects.get().state == "expected"
    paid = event("checkout.session.completed", completed(session))
    assert send(client, paid).status_code == 200
    assert received(card_fund) == (2550, 2550)
    assert send(client, refund).status_code == 200
    entry = Contribution.objects.get()
    assert (entry.state, entry.void_reason) == ("void", "Refunded at Stripe.")
    assert received(card_fund) == (0, 0)
    assert set(ProviderEvent.objects.values_list("event_id", flat=True)) == {
        paid["id"],
        refund["id"],
    }


def test_a_refund_of_a_lapsed_payment_waits_for_the_payment_too(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    session = _began(client, card_fund, fake_stripe)
    assert send(client, event("checkout.session.expired", expired(session))).status_code == 200
    refund = event("charge.refunded", fake_stripe.refunded_charge(session))
    assert send(client, refund).status_code == 503
    assert ProviderEvent.objects.count() == 1


def test_a_payment_whose_session_was_not_saved_is_found_through_its_reference(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    """The site stopped between Stripe's answer and saving the session's id."""
    session = _began(client, card_fund, fake_stripe)
    Contribution.objects.update(provider_session=None)
    assert send(client, event("checkout.session.completed", completed(session))).status_code == 200
    entry = Contribution.objects.get()
    assert (entry.state, entry.provider_session) == ("received", session["id"])
    assert received(card_fund) == (2550, 2550)
    thanks = client.get(f"/f/{card_fund.pk}/en/thanks/?session={session['id']}")
    assert "is received" in thanks.content.decode()


def test_a_reference_to_another_line_counts_nothing(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    """The reference is a fallback for a line with no session yet, of the fund it names."""
    session = _began(client, card_fund, fake_stripe)
    other = _began(client, card_fund, fake_stripe, amount="5")
    # Another session naming a line that has its own session.
    stray = completed(other, id="cs_test_stray")
    assert send(client, event("checkout.session.completed", stray)).status_code == 200
    # A line with no session, named with another fund.
    Contribution.objects.filter(provider_session=session["id"]).update(provider_session=None)
    wrong_fund = completed(session, metadata={**session["metadata"], "fund": str(card_fund.pk + 1)})
    assert send(client, event("checkout.session.completed", wrong_fund)).status_code == 200
    assert set(Contribution.objects.values_list("state", flat=True)) == {"expected"}
    # A refund naming the line with another fund: not ours, so not sent again either.
    refund = fake_stripe.refunded_charge(session)
    refund["metadata"]["fund"] = str(card_fund.pk + 1)
    assert send(client, event("charge.refunded", refund)).status_code == 200
    assert received(card_fund) == (0, 0)
    assert ProviderEvent.objects.count() == 3


def test_a_payment_that_expires_lapses_and_may_still_come(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    session = _began(client, card_fund, fake_stripe)
    assert send(client, event("checkout.session.expired", expired(session))).status_code == 200
    entry = Contribution.objects.get()
    assert entry.state == "lapsed"
    # Out of order the other way: the money came after all.
    assert send(client, event("checkout.session.completed", completed(session))).status_code == 200
    entry.refresh_from_db()
    assert entry.state == "received"
    assert received(card_fund) == (2550, 2550)


def test_a_delayed_payment_counts_when_it_succeeds(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    session = _began(client, card_fund, fake_stripe)
    pending = completed(session, payment_status="unpaid")
    assert send(client, event("checkout.session.completed", pending)).status_code == 200
    assert received(card_fund) == (0, 0)
    succeeded = event("checkout.session.async_payment_succeeded", completed(session))
    assert send(client, succeeded).status_code == 200
    assert received(card_fund) == (2550, 2550)
    # The amount counted is the event's, not the form's.
    other = _began(client, card_fund, fake_stripe, amount="5")
    assert send(client, event("checkout.session.completed", completed(other))).status_code == 200
    assert received(card_fund) == (3050, 3050)


def test_a_partial_refund_stays_counted_and_the_organisers_are_told(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    session = _began(client, card_fund, fake_stripe)
    send(client, event("checkout.session.completed", completed(session)))
    refund = event("charge.refunded", fake_stripe.refunded_charge(session, amount=1000))
    assert send(client, refund).status_code == 200
    entry = Contribution.objects.get()
    assert entry.state == "received"
    assert entry.note == "Partly refunded at Stripe: £10"
    assert received(card_fund) == (2550, 2550)
    [row] = AuditLog.objects.filter(action="contribution.partly_refunded")
    assert row.object_id == entry.pk
    assert row.data == {
        "fund": card_fund.pk,
        "organisation": card_fund.organisation_id,
        "amount": 1000,
    }
    # The same event again changes nothing; the rest refunded later voids the line.
    assert send(client, refund).status_code == 200
    assert AuditLog.objects.filter(action="contribution.partly_refunded").count() == 1
    rest = event("charge.refunded", fake_stripe.refunded_charge(session))
    assert send(client, rest).status_code == 200
    entry.refresh_from_db()
    assert (entry.state, entry.void_reason) == ("void", "Refunded at Stripe.")
    assert received(card_fund) == (0, 0)


def test_events_the_ledger_has_no_use_for_are_answered_and_kept_once(
    client: Client, card_fund: Fund, fake_stripe: FakeStripe
) -> None:
    other = event("payment_intent.created", {"id": "pi_123", "object": "payment_intent"})
    assert send(client, other).status_code == 200
    unknown = event("checkout.session.completed", completed(_session_elsewhere()))
    assert send(client, unknown).status_code == 200
    # Another application's refund, with no reference of ours: kept, never sent again.
    refund = {**_charge_elsewhere(), "metadata": {"order": "77"}}
    assert send(client, event("charge.refunded", refund)).status_code == 200
    assert ProviderEvent.objects.count() == 3
    # Signed, but not an event: refused.
    body = b"not json"
    response = client.post(
        WEBHOOK,
        body,
        content_type="application/json",
        headers={"Stripe-Signature": signature(body)},
    )
    assert response.status_code == 400
    # Not cached, no cookie.
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def _session_elsewhere() -> dict[str, Any]:
    """A session of another application on the same Stripe account."""
    return {
        "id": "cs_test_of_a_shop",
        "object": "checkout.session",
        "amount_total": 4000,
        "currency": "gbp",
        "payment_status": "paid",
        "payment_intent": "pi_shop",
        "customer_details": None,
    }


def _charge_elsewhere() -> dict[str, Any]:
    return {
        "id": "ch_shop",
        "object": "charge",
        "amount": 4000,
        "amount_refunded": 4000,
        "currency": "gbp",
        "payment_intent": "pi_shop",
    }


def test_the_adapter_refuses_what_stripe_would_not_send(fake_stripe: FakeStripe) -> None:
    adapter = provider()
    assert adapter is not None and (adapter.name, adapter.host) == ("stripe", "checkout.stripe.com")
    body, headers = signed(event("checkout.session.completed", {"id": 3}))
    with pytest.raises(InvalidNotice):
        adapter.notice(body, headers)
    body = b"\xff\xfe not text"
    with pytest.raises(InvalidNotice):
        adapter.notice(body, {"Stripe-Signature": signature(body)})
    body, headers = signed(event("checkout.session.completed", completed(_session_elsewhere())))
    assert adapter.notice(body, headers).kind == "paid"
    # Without the webhook secret set up, nothing is believed.
    from django.test import override_settings

    with override_settings(STRIPE_WEBHOOK_SECRET=""), pytest.raises(InvalidNotice):
        adapter.notice(body, headers)


@pytest.mark.django_db(transaction=True)
def test_the_webhook_sender_over_http(live_server: Any, fake_stripe: FakeStripe) -> None:
    """The events as Stripe sends them: over HTTP to the running site."""
    from undersigned.organisations.models import Organisation

    fund = make_fund(Organisation.objects.create(name="Red", slug="red"), online_open=True)
    session = _began(Client(), fund, fake_stripe)
    paid = event("checkout.session.completed", completed(session))

    def post(data: dict[str, Any], **options: Any) -> int:
        body, headers = signed(data, **options)
        url = live_server.url + WEBHOOK
        request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    assert post(paid, secret="whsec_forged") == 400
    assert received(fund) == (0, 0)
    assert [post(paid), post(paid)] == [200, 200]
    assert received(fund) == (2550, 2550)
    assert Contribution.objects.get().state == "received"
    assert list(ProviderEvent.objects.values_list("event_id", flat=True)) == [paid["id"]]
