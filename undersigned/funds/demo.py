"""The demo campaign's fighting fund, in euros: money in by every channel (a bucket at a
vigil, a union branch's transfer matched by its reference, card gifts, a cheque, a gift in
dollars at the organisers' rate), pledges confirmed and one received, a transfer still
expected and a voided mistake. Invented, as the rest of the demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from undersigned.events.models import Event
from undersigned.funds import actions
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.statements.models import Statement

VERSIONS = {
    "en": {
        "title": "Fighting fund for the 41",
        "text": (
            "The families cannot pay for the lawyers, the bail and the journeys to the "
            "hearings. Every euro goes to the students' legal defence; the accounts are "
            "published after the trial.\n\n"
            "Give by card, by bank transfer (quote your reference), or in the bucket at our "
            "demonstrations."
        ),
    },
    "es": {
        "title": "Fondo de lucha por los 41",
        "text": (
            "Las familias no pueden pagar los abogados, las fianzas ni los viajes a las "
            "audiencias. Cada euro va a la defensa legal de los estudiantes; las cuentas se "
            "publican después del juicio.\n\n"
            "Dona con tarjeta, por transferencia (indica tu referencia) o en la hucha de "
            "nuestras concentraciones."
        ),
    },
}

# (days ago, amount in cents, method, donor name, shown by name, language)
RECEIVED = [
    (19, 5_000, Contribution.Method.ONLINE, "Lucía Mendoza", True, "es"),
    (17, 2_000, Contribution.Method.ONLINE, "", False, "en"),
    (15, 48_050, Contribution.Method.CASH, "", False, "es"),
    (12, 10_000, Contribution.Method.ONLINE, "Hannah Fischer", True, "en"),
    (9, 3_500, Contribution.Method.CHEQUE, "Parish of San Marcos", True, "es"),
    (6, 2_500, Contribution.Method.ONLINE, "", False, "es"),
    (3, 1_500, Contribution.Method.ONLINE, "Omar Haddad", True, "en"),
]

# (amount in cents, donor name, shown by name, language)
PLEDGES = [
    (20_000, "Teachers' Union, Valmora branch", True, "es"),
    (5_000, "Marta Ruiz", False, "es"),
    (15_000, "Students' Union of Leeds", True, "en"),
]


@transaction.atomic
def load_demo_fund(statement: Statement) -> Fund | None:
    """Idempotent, as the rest of the demo."""
    if FundVersion.objects.filter(
        fund__organisation=statement.organisation, title=VERSIONS["en"]["title"]
    ).exists():
        return None
    today = timezone.localdate()
    # The coming demonstration: its page shows the fund.
    event = Event.objects.filter(statement=statement).order_by("-start").first()
    fund = Fund.objects.create(
        organisation=statement.organisation,
        statement=statement,
        event=event,
        default_language=statement.default_language,
        currency="EUR",
        target=500_000,
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=25),
        show_donors=True,
        bank_holder="Student Solidarity Network",
        bank_iban="ES9121000418450200051332",
        bank_bic="CAIXESBBXXX",
        published_at=timezone.now() - dt.timedelta(days=20),
    )
    for language, texts in VERSIONS.items():
        FundVersion.objects.create(fund=fund, language=language, **texts)
    for n, (days, amount, method, name, shown, language) in enumerate(RECEIVED):
        entry = actions.add_entry(
            fund,
            method=method,
            amount=amount,
            received_on=today - dt.timedelta(days=days),
            donor_name=name,
            show_name=shown,
            language=language,
            note="Bucket at the vigil in Plaza Mayor" if method == Contribution.Method.CASH else "",
        )
        if method == Contribution.Method.ONLINE:
            Contribution.objects.filter(pk=entry.pk).update(
                provider="stripe", provider_session=f"cs_demo_{n}"
            )
    # A gift in dollars, at the rate the organisers entered.
    actions.add_entry(
        fund,
        method=Contribution.Method.BANK,
        amount=0,
        received_on=today - dt.timedelta(days=8),
        donor_name="Friends of Valmora, Chicago",
        show_name=True,
        language="en",
        conversion=actions.Conversion(
            "USD", 30_000, Decimal("0.9215"), today - dt.timedelta(days=8)
        ),
    )
    # A branch's transfer, matched by the reference it quoted.
    client = actions.Client()
    branch = actions.expect_transfer(
        fund,
        "es",
        25_000,
        name="Federación de Estudiantes de Valmora",
        show_name=True,
        client=client,
    )
    actions.receive(
        branch,
        method=Contribution.Method.BANK,
        received_on=today - dt.timedelta(days=4),
        reference=f"TRANSF {branch.transfer_code} FED ESTUDIANTES",
    )
    # A transfer announced, not arrived yet.
    actions.expect_transfer(fund, "en", 4_000, client=client)
    for amount, name, shown, language in PLEDGES:
        pledge = Contribution.objects.create(
            fund=fund,
            state=Contribution.State.PENDING,
            method=Contribution.Method.OTHER,
            amount=amount,
            donor_name=name,
            show_name=shown,
            language=language,
            consent_version=actions.PLEDGE_CONSENT_VERSION,
            consent_at=timezone.now(),
        )
        actions.confirm_pledge(pledge)
    # The first pledge has been paid since.
    received = Contribution.objects.filter(fund=fund, state=Contribution.State.PLEDGED).first()
    if received is not None:
        actions.receive(received, method=Contribution.Method.BANK, received_on=today)
    # A mistake, voided: kept in the ledger, out of the total.
    mistake = actions.add_entry(
        fund,
        method=Contribution.Method.CASH,
        amount=48_050,
        received_on=today - dt.timedelta(days=15),
    )
    actions.void(mistake, "Entered twice: the vigil's bucket is already in the ledger.")
    return fund
