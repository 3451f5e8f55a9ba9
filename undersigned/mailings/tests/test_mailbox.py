from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from undersigned.conftest import sign_data
from undersigned.jobs.queue import drain
from undersigned.mailings.models import DemoMail
from undersigned.statements.models import Statement


def test_the_mailbox_does_not_exist_outside_demo_mode(client: Client, db: None) -> None:
    assert client.get("/demo/mailbox/").status_code == 404


def test_demo_mode_keeps_mail_and_shows_it(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.DEMO_MODE = True
    settings.EMAIL_BACKEND = "undersigned.mailings.backends.DemoMailboxBackend"
    response = client.post("/s/free-them/en/sign/", sign_data(), follow=True)
    assert 'href="/demo/mailbox/"' in response.content.decode()
    drain()
    mail = DemoMail.objects.get()
    assert mail.to == "ana@example.net"
    page = client.get("/demo/mailbox/")
    assert page["Cache-Control"] == "no-store"
    assert "/s/free-them/confirm/" in page.content.decode()
    assert '<a href="http://127.0.0.1:8000/s/free-them/confirm/' in page.content.decode()


def test_the_mailbox_is_only_for_the_machine_running_the_demo(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.DEMO_MODE = True
    assert client.get("/demo/mailbox/", REMOTE_ADDR="192.0.2.7").status_code == 404
    assert client.get("/demo/mailbox/", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/demo/mailbox/", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200
    assert client.get("/demo/mailbox/", REMOTE_ADDR="").status_code == 404


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_X_FORWARDED_FOR": "192.0.2.7"},
        {"HTTP_FORWARDED": "for=192.0.2.7"},
        {"HTTP_X_REAL_IP": "192.0.2.7"},
        {"HTTP_X_FORWARDED_HOST": "demo.example.org"},
        {"HTTP_CF_CONNECTING_IP": "192.0.2.7"},
    ],
)
@pytest.mark.parametrize("trusted", [[], ["127.0.0.1", "::1"]])
def test_the_mailbox_stays_shut_through_a_proxy_or_tunnel_on_the_machine(
    client: Client, statement: Statement, settings: Any, header: dict[str, str], trusted: list[str]
) -> None:
    settings.DEMO_MODE = True
    settings.TRUSTED_PROXIES = trusted
    for peer in ("127.0.0.1", "::1"):
        assert client.get("/demo/mailbox/", REMOTE_ADDR=peer, **header).status_code == 404


def test_check_email_page_has_no_mailbox_link_outside_demo(
    client: Client, statement: Statement
) -> None:
    response = client.post("/s/free-them/en/sign/", sign_data(), follow=True)
    assert "/demo/mailbox/" not in response.content.decode()


def test_loading_the_demo_twice_doubles_nothing(db: None, settings: Any) -> None:
    from django.core.management import call_command

    from undersigned.statements.models import Signature, StatementVersion

    settings.DEMO_MODE = True
    call_command("load_demo")
    counts = (
        Statement.objects.count(),
        StatementVersion.objects.count(),
        Signature.objects.count(),
    )
    call_command("load_demo")
    assert (
        Statement.objects.count(),
        StatementVersion.objects.count(),
        Signature.objects.count(),
    ) == counts
    assert counts[1] == 2 and counts[2] >= 8
