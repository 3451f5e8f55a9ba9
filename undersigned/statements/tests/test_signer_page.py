"""The signer's own page, reached from the link in any email."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client

from undersigned.conftest import make_signature, sign_data
from undersigned.jobs.queue import drain
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import ConsentRecord, Signature, Statement
from undersigned.statements.queries import signature_count

SITE = "http://127.0.0.1:8000"


def _links(body: str) -> dict[str, str]:
    found = {}
    for name in ("confirm", "withdraw", "signature"):
        match = re.search(rf"{SITE}(/s/\S+/{name}/\S+/)", body)
        if match:
            found[name] = match.group(1)
    assert "signature" in found and "withdraw" in found
    return found


def _signed(client: Client, **overrides: str) -> dict[str, str]:
    """Sign, confirm, and return the links of the confirmation email."""
    client.post("/s/free-them/en/sign/", sign_data(**overrides))
    drain()
    links = _links(mail.outbox[-1].body)
    client.post(links["confirm"])
    return links


def test_every_email_links_to_the_signers_page(client: Client, statement: Statement) -> None:
    client.post("/s/free-them/en/sign/", sign_data())
    drain()
    client.post(_links(mail.outbox[-1].body)["confirm"])
    client.post("/s/free-them/en/sign/", sign_data())  # again: the "already signed" email
    drain()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        page = _links(message.body)["signature"]
        html = message.alternatives[0][0]  # type: ignore[index]
        assert f'href="{SITE}{page}"' in str(html)
        assert client.get(page).status_code == 200


def test_the_page_shows_the_signature_and_changes_nothing(
    client: Client, statement: Statement
) -> None:
    links = _signed(client, display="initial", wants_updates="on")
    before = Signature.objects.values().get()
    response = client.get(links["signature"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Ana García" in page and "ana@example.net" in page and "Ana G." in page
    assert "Stop updates" in page and "Withdraw my signature" in page
    assert Signature.objects.values().get() == before
    assert not ConsentRecord.objects.exists()


def test_a_spanish_signer_gets_the_page_in_spanish(client: Client, statement: Statement) -> None:
    client.post("/s/free-them/es/sign/", sign_data())
    drain()
    page = client.get(_links(mail.outbox[-1].body)["signature"]).content.decode()
    assert '<html lang="es"' in page
    assert "Retirar mi firma" in page


@pytest.mark.parametrize(
    ("display", "listed"), [("full", "Ana García"), ("initial", "Ana G."), ("hidden", None)]
)
def test_the_signer_changes_how_their_name_appears(
    client: Client, statement: Statement, display: str, listed: str | None
) -> None:
    links = _signed(client, display="initial" if display != "initial" else "full")
    response = client.post(links["signature"], {"action": "display", "display": display})
    assert response.status_code == 303
    assert response["Location"] == links["signature"] + "?done=display"
    assert Signature.objects.get().display == display
    public = client.get("/s/free-them/en/signatories/").content.decode()
    if listed is None:
        assert "Ana" not in public
    else:
        assert f"<li>{listed}</li>" in public
    assert signature_count(statement) == 1
    assert "Saved" in client.get(response["Location"]).content.decode()


def test_a_bad_choice_is_a_form_error_not_a_change(client: Client, statement: Statement) -> None:
    links = _signed(client, display="initial")
    response = client.post(links["signature"], {"action": "display", "display": "shout"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(links["signature"], {"action": "explode"})
    assert response.status_code == 400
    assert Signature.objects.get().display == "initial"


def test_unsubscribing_is_recorded_as_a_withdrawn_consent(
    client: Client, statement: Statement
) -> None:
    links = _signed(client, wants_updates="on")
    signature = Signature.objects.get()
    assert signature.wants_updates
    response = client.post(links["signature"], {"action": "unsubscribe"})
    assert response.status_code == 303
    signature.refresh_from_db()
    assert not signature.wants_updates
    records = list(ConsentRecord.objects.values_list("purpose", "given", "version", "at"))
    # The opt-in given when signing, then its withdrawal.
    assert records[0] == ("updates", True, CONSENT_VERSION, signature.consent_at)
    assert records[1][:3] == ("updates", False, "")
    assert records[1][3] >= signature.consent_at
    client.post(links["signature"], {"action": "unsubscribe"})  # twice: recorded once
    assert ConsentRecord.objects.count() == 2
    client.post(links["signature"], {"action": "subscribe"})
    assert Signature.objects.get().wants_updates
    assert list(ConsentRecord.objects.values_list("given", flat=True)) == [True, False, True]


def test_stopping_updates_also_ends_a_following_with_the_same_address(
    client: Client, statement: Statement
) -> None:
    from django.utils import timezone

    from undersigned.lib.emails import canonical_email
    from undersigned.updates.models import Follower

    links = _signed(client, wants_updates="on")
    signature = Signature.objects.get()
    follower = Follower.objects.create(
        statement=statement,
        email=signature.email,
        email_canonical=canonical_email(signature.email),
        language="en",
        consent_version="v",
        confirmed_at=timezone.now(),
    )
    client.post(links["signature"], {"action": "unsubscribe"})
    follower.refresh_from_db()
    # Otherwise the next update would reach them as a follower.
    assert follower.unsubscribed_at is not None
    assert not Follower.objects.following().exists()


def _download(client: Client, links: dict[str, str]) -> dict[str, object]:
    response = client.get(links["signature"] + "data.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert isinstance(data, dict)
    return data


def test_the_download_holds_everything_stored_and_nobody_else(
    client: Client, statement: Statement
) -> None:
    other = make_signature(statement, 1, name="Otra Persona", email="otra@example.org")
    links = _signed(client, wants_updates="on", postcode="28001")
    client.post(links["signature"], {"action": "unsubscribe"})
    data = _download(client, links)
    signature = Signature.objects.get(email="ana@example.net")
    stored = data["signature"]
    assert isinstance(stored, dict)
    expected = {
        field.attname
        for field in Signature._meta.concrete_fields
        if not field.primary_key and not field.is_relation
    }
    assert set(stored) == expected
    assert stored["name"] == "Ana García"
    assert stored["email"] == "ana@example.net"
    assert stored["email_canonical"] == signature.email_canonical
    assert stored["consent_at"] == signature.consent_at.isoformat()
    consents = data["consents"]
    assert isinstance(consents, list)
    assert [(c["purpose"], c["given"]) for c in consents] == [
        ("signature", True),
        ("updates", True),
        ("updates", False),
    ]
    assert all(c["version"] == CONSENT_VERSION for c in consents if c["given"])
    assert "Red Estudiantil keeps my name" in consents[0]["wording"]
    assert consents[1]["wording"] == "Email me updates from Red Estudiantil"
    assert data["statement"] == {
        "slug": "free-them",
        "title": "Free them",
        "organisation": "Red Estudiantil",
        "url": "http://127.0.0.1:8000/s/free-them/en/",
    }
    assert len(data["email_links"]) == 1  # type: ignore[arg-type]
    assert [entry["action"] for entry in data["audit_log"]] == [  # type: ignore[attr-defined]
        "signature.confirmed"
    ]
    text = json.dumps(data)
    assert other.name not in text and other.email not in text


def test_the_download_changes_nothing(client: Client, statement: Statement) -> None:
    links = _signed(client)
    before = Signature.objects.values().get()
    _download(client, links)
    assert Signature.objects.values().get() == before


@pytest.mark.parametrize("suffix", ["", "data.json"])
def test_a_wrong_or_crossed_token_is_a_404(
    client: Client, statement: Statement, organiser_client: Client, suffix: str
) -> None:
    from undersigned.statements.models import StatementVersion

    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status="open", default_language="en"
    )
    StatementVersion.objects.create(
        statement=other, language="en", title="O", summary="s", body="b"
    )
    links = _signed(client)
    wrong = "/s/free-them/signature/" + "A" * 32 + "/"
    crossed = links["signature"].replace("/s/free-them/", "/s/other/")
    for url in (wrong, crossed):
        assert client.get(url + suffix).status_code == 404
        # Being an organiser gives no way in without the token.
        assert organiser_client.get(url + suffix).status_code == 404
    assert client.post(crossed, {"action": "display", "display": "hidden"}).status_code == 404
    assert Signature.objects.get().display == "initial"


def test_withdrawing_from_the_signers_page_asks_once_more(
    client: Client, statement: Statement
) -> None:
    links = _signed(client)
    page = client.get(links["signature"]).content.decode()
    # No form on the signer's page withdraws: a link to the page that asks.
    assert f'action="{links["withdraw"]}"' not in page
    assert f'href="{links["withdraw"]}"' in page
    asking = client.get(links["withdraw"])
    assert asking.status_code == 200
    asked = asking.content.decode()
    assert "This cannot be undone" in asked
    assert f'href="{links["signature"]}"' in asked  # "No, keep my signature"
    assert Signature.objects.filter(state=Signature.State.CONFIRMED).count() == 1
    assert client.post(links["withdraw"]).status_code == 302
    assert not Signature.objects.exists()
    assert signature_count(statement) == 0
    assert client.get(links["signature"]).status_code == 404
