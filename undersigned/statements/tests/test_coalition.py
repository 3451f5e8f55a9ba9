"""Coalitions from the signer's side: a box per partner organisation on the sign form, consent
recorded per organisation, withdrawn from the signer's own page, erased with the signature."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client

from undersigned.conftest import make_partner, make_signature, sign_data
from undersigned.jobs.queue import drain
from undersigned.organisations.models import Organisation
from undersigned.statements import coalition, privacy
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import (
    ConsentRecord,
    Partner,
    PartnerConsent,
    Signature,
    SourceCount,
    Statement,
)
from undersigned.statements.tests.test_signer_page import _links, _signed


@pytest.fixture
def partners(statement: Statement) -> tuple[Partner, Partner]:
    union = Organisation.objects.create(name="Sindicato Unido", slug="sindicato")
    network = Organisation.objects.create(name="Red de Apoyo", slug="red-apoyo")
    return (
        make_partner(statement, union, actor=None),
        make_partner(statement, network, actor=None),
    )


def test_the_form_offers_each_partner_unticked_and_says_who(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    page = client.get("/s/free-them/en/").content.decode()
    assert "Email me updates from Sindicato Unido" in page
    assert "Email me updates from Red de Apoyo" in page
    assert page.count('name="partners"') == 2
    boxes = re.findall(r'<input type="checkbox" name="partners"[^>]*>', page)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)
    assert "With: Red de Apoyo, Sindicato Unido" in " ".join(page.split())


def test_without_partners_there_is_no_box(client: Client, statement: Statement) -> None:
    page = client.get("/s/free-them/en/").content.decode()
    assert 'name="partners"' not in page
    assert "With:" not in page


def test_a_removed_partner_is_no_longer_offered(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    coalition.remove_partner(partners[0], actor=None)
    page = client.get("/s/free-them/en/").content.decode()
    assert "Sindicato Unido" not in page
    assert page.count('name="partners"') == 1


def test_consent_is_per_organisation_and_only_after_confirmation(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    union, network = partners
    client.post("/s/free-them/en/sign/", sign_data(partners=[str(union.pk)]))
    client.post("/s/free-them/en/sign/", sign_data(email="luis@example.net", name="Luis Ortega"))
    drain()
    assert PartnerConsent.objects.count() == 1
    # Not yet: the address is not confirmed.
    assert list(coalition.partner_signers(union)) == []
    for message in mail.outbox:
        client.post(_links(message.body)["confirm"])
    assert Signature.objects.filter(state="confirmed").count() == 2
    assert [s.email for s in coalition.partner_signers(union)] == ["ana@example.net"]
    assert list(coalition.partner_signers(network)) == []
    consent = PartnerConsent.objects.get()
    assert consent.version == CONSENT_VERSION


def test_signing_again_while_pending_changes_no_consent_and_the_link_shows_them(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    """Someone who knows a pending signer's address cannot add a partner to what she confirms
    from her first email: a second form changes nothing, and the confirmation page says which
    partners will see her name and address."""
    union, network = partners
    client.post("/s/free-them/en/sign/", sign_data(partners=[str(union.pk)]))
    drain()
    link = _links(mail.outbox[0].body)["confirm"]
    client.post("/s/free-them/en/sign/", sign_data(partners=[str(network.pk)]))
    client.post("/s/free-them/en/sign/", sign_data())
    drain()
    assert list(PartnerConsent.objects.values_list("partner_id", flat=True)) == [union.pk]
    page = client.get(link).content.decode()
    assert union.organisation.name in page
    assert network.organisation.name not in page


def test_signing_again_once_confirmed_changes_no_consent(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    union, network = partners
    _signed(client, partners=[str(union.pk)])
    client.post("/s/free-them/en/sign/", sign_data(partners=[str(network.pk)]))
    assert list(PartnerConsent.objects.values_list("partner_id", flat=True)) == [union.pk]


def test_a_partner_of_another_statement_cannot_be_chosen(
    client: Client,
    statement: Statement,
    partners: tuple[Partner, Partner],
    organisation: Organisation,
) -> None:
    other = Statement.objects.create(
        organisation=organisation, slug="other", status="open", default_language="en"
    )
    other.versions.create(language="en", title="Other", summary="s", body="<p>b</p>")
    foreign = make_partner(
        other, Organisation.objects.create(name="Foreign", slug="foreign"), actor=None
    )
    response = client.post("/s/free-them/en/sign/", sign_data(partners=[str(foreign.pk)]))
    assert response.status_code == 400
    assert Signature.objects.count() == 0
    response = client.post("/s/free-them/en/sign/", sign_data(partners=["x"]))
    assert response.status_code == 400


def test_the_signer_stops_and_gives_each_partners_updates_from_their_page(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    union, network = partners
    links = _signed(client, partners=[str(union.pk)])
    page = client.get(links["signature"]).content.decode()
    assert "You get updates from Sindicato Unido." in page
    assert "Email me updates from Red de Apoyo" in page

    response = client.post(
        links["signature"], {"action": "partner-unsubscribe", "partner": str(union.pk)}
    )
    assert response.status_code == 303
    assert list(coalition.partner_signers(union)) == []
    response = client.post(
        links["signature"], {"action": "partner-subscribe", "partner": str(network.pk)}
    )
    assert response.status_code == 303
    assert [s.email for s in coalition.partner_signers(network)] == ["ana@example.net"]

    history = list(
        ConsentRecord.objects.filter(purpose="partner").values_list("partner_id", "given")
    )
    assert history == [(union.pk, True), (union.pk, False), (network.pk, True)]
    data = json.loads(client.get(links["signature"] + "data.json").content)
    partner_consents = [c for c in data["consents"] if c["purpose"] == "partner"]
    assert [(c["organisation"], c["given"]) for c in partner_consents] == [
        ("Sindicato Unido", True),
        ("Sindicato Unido", False),
        ("Red de Apoyo", True),
    ]
    assert partner_consents[2]["wording"] == "Email me updates from Red de Apoyo"


def test_a_partner_of_another_statement_is_refused_on_the_signers_page(
    client: Client,
    statement: Statement,
    partners: tuple[Partner, Partner],
    organisation: Organisation,
) -> None:
    links = _signed(client)
    other = Statement.objects.create(
        organisation=organisation, slug="other", status="open", default_language="en"
    )
    foreign = make_partner(
        other, Organisation.objects.create(name="Foreign", slug="foreign"), actor=None
    )
    response = client.post(
        links["signature"], {"action": "partner-subscribe", "partner": str(foreign.pk)}
    )
    assert response.status_code == 400
    assert PartnerConsent.objects.count() == 0


def test_the_data_download_lists_a_consent_given_when_signing(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    links = _signed(client, partners=[str(partners[1].pk)])
    data = json.loads(client.get(links["signature"] + "data.json").content)
    assert [(c["purpose"], c["organisation"], c["given"]) for c in data["consents"]] == [
        ("signature", "Red Estudiantil", True),
        ("partner", "Red de Apoyo", True),
    ]


def test_withdrawing_or_erasing_deletes_every_partner_consent(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    union, network = partners
    links = _signed(client, partners=[str(union.pk), str(network.pk)])
    assert PartnerConsent.objects.count() == 2
    client.post(links["withdraw"])
    assert PartnerConsent.objects.count() == 0

    kept = make_signature(statement, 1)
    PartnerConsent.objects.create(signature=kept, partner=union, version="v")
    privacy.erase_signers(statement, reason="test")
    assert Signature.objects.get(pk=kept.pk).erased_at is not None
    assert PartnerConsent.objects.count() == 0


def test_the_partners_link_counts_for_its_source(
    client: Client, statement: Statement, partners: tuple[Partner, Partner]
) -> None:
    union = partners[0]
    assert union.source.code == "sindicato"
    client.post("/s/free-them/en/sign/", sign_data(src="sindicato"))
    drain()
    assert SourceCount.objects.get().source_id == union.source_id


def test_a_partner_added_again_keeps_its_link(statement: Statement) -> None:
    union = Organisation.objects.create(name="Sindicato Unido", slug="sindicato")
    first = coalition.add_partner(statement, union, actor=None)
    coalition.remove_partner(first, actor=None)
    again = coalition.add_partner(statement, union, actor=None)
    assert again.pk == first.pk and again.active
    assert again.source_id == first.source_id
    with pytest.raises(coalition.PartnerError):
        coalition.add_partner(statement, union, actor=None)
    with pytest.raises(coalition.PartnerError):
        coalition.add_partner(statement, statement.organisation, actor=None)
