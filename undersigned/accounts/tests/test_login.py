"""Organiser accounts: passwords, throttling, two-factor codes and session timeouts."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from undersigned.accounts import security
from undersigned.accounts.models import LoginFailure, TwoFactor
from undersigned.audit.models import AuditLog
from undersigned.conftest import PASSWORD
from undersigned.lib import totp
from undersigned.statements.models import Statement

MANAGE = "/dashboard/s/free-them/"


def _password_step(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password, "next": MANAGE}
    )


def _with_two_factor(user: User) -> str:
    secret = totp.new_secret()
    codes = security.enable_two_factor(user, secret, totp.code_at(secret, time.time()))
    assert codes is not None
    TwoFactor.objects.filter(user=user).update(last_step=0)
    return secret


def _wrong_code(secret: str) -> str:
    """Six digits that are not the code of any step near now (a fixed guess such as "000000" is
    right by chance a few times in a million)."""
    now = time.time()
    near = {totp.code_at(secret, now + 30 * step) for step in range(-2, 3)}
    return next(code for n in range(10) if (code := f"{n}" * 6) not in near)


def _audit_actions() -> list[str]:
    return list(AuditLog.objects.order_by("pk").values_list("action", flat=True))


def test_passwords_are_hashed_with_argon2(organiser: User) -> None:
    organiser.refresh_from_db()
    assert organiser.password.startswith("argon2")


def test_a_login_without_two_factor_reaches_the_organiser_page(
    client: Client, statement: Statement, organiser: User
) -> None:
    response = _password_step(client, "organiser")
    assert response.status_code == 302 and response["Location"] == MANAGE
    assert client.get(MANAGE).status_code == 200
    assert "auth.login" in _audit_actions()


def test_the_log_holds_no_password_or_code(
    client: Client, organiser: User, caplog: pytest.LogCaptureFixture
) -> None:
    secret = _with_two_factor(organiser)
    _password_step(client, "organiser", "wrong-password-123")
    _password_step(client, "organiser")
    wrong = _wrong_code(secret)
    client.post("/accounts/two-factor/", {"code": wrong})
    client.post("/accounts/two-factor/", {"code": totp.code_at(secret, time.time())})
    rows = str(list(AuditLog.objects.values_list("action", "data")))
    for secret_value in ("wrong-password-123", PASSWORD, secret, wrong, "127.0.0.1"):
        assert secret_value not in rows and secret_value not in caplog.text
    assert _audit_actions().count("auth.login_failed") == 2


def test_two_factor_asks_for_a_code_before_logging_in(
    client: Client, statement: Statement, organiser: User
) -> None:
    secret = _with_two_factor(organiser)
    response = _password_step(client, "organiser")
    assert response["Location"] == "/accounts/two-factor/"
    # Not logged in yet: the organiser page still sends to the login.
    assert client.get(MANAGE).status_code == 302
    wrong = client.post("/accounts/two-factor/", {"code": _wrong_code(secret)})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    code = totp.code_at(secret, time.time())
    response = client.post("/accounts/two-factor/", {"code": code})
    assert response["Location"] == MANAGE
    assert client.get(MANAGE).status_code == 200
    # The same code never works twice.
    other = Client()
    _password_step(other, "organiser")
    assert other.post("/accounts/two-factor/", {"code": code}).status_code == 200
    assert other.get(MANAGE).status_code == 302


def test_a_recovery_code_works_once(client: Client, statement: Statement, organiser: User) -> None:
    secret = totp.new_secret()
    codes = security.enable_two_factor(organiser, secret, totp.code_at(secret, time.time()))
    assert codes
    _password_step(client, "organiser")
    assert client.post("/accounts/two-factor/", {"code": codes[0]})["Location"] == MANAGE
    again = Client()
    _password_step(again, "organiser")
    assert again.post("/accounts/two-factor/", {"code": codes[0]}).status_code == 200
    assert "auth.recovery_code_used" in _audit_actions()


def test_the_admin_login_goes_through_the_two_factor_step(client: Client, organiser: User) -> None:
    organiser.is_staff = True
    organiser.save()
    _with_two_factor(organiser)
    response = client.get("/admin/", follow=True)
    assert unquote(response.redirect_chain[-1][0]).startswith("/accounts/login/?next=/admin/")
    assert _password_step(client, "organiser")["Location"] == "/accounts/two-factor/"
    assert client.get("/admin/").status_code == 302


def test_enrolling_shows_a_qr_code_and_turns_two_factor_on(
    organiser_client: Client, organiser: User
) -> None:
    page = organiser_client.get("/accounts/security/").content.decode()
    assert "<svg" in page and "otpauth://totp/Undersigned%3Aorganiser" in page
    secret = re.search(r"secret=([A-Z2-7]+)", page)
    assert secret
    response = organiser_client.post(
        "/accounts/security/",
        {"action": "enable", "code": totp.code_at(secret.group(1), time.time())},
    )
    assert response.status_code == 200
    assert len(re.findall(r"<code>[0-9a-f]{8}-[0-9a-f]{8}</code>", response.content.decode())) == 10
    assert TwoFactor.objects.filter(user=organiser).exists()
    assert "auth.two_factor_enabled" in _audit_actions()


def test_turning_two_factor_off_needs_a_code(organiser_client: Client, organiser: User) -> None:
    secret = _with_two_factor(organiser)
    organiser_client.post("/accounts/security/", {"action": "disable", "code": _wrong_code(secret)})
    assert TwoFactor.objects.filter(user=organiser).exists()
    code = totp.code_at(secret, time.time())
    organiser_client.post("/accounts/security/", {"action": "disable", "code": code})
    assert not TwoFactor.objects.filter(user=organiser).exists()
    assert "auth.two_factor_disabled" in _audit_actions()


def test_when_required_an_organiser_without_two_factor_must_enrol_first(
    client: Client, statement: Statement, organiser: User, settings: Any
) -> None:
    settings.TWO_FACTOR_REQUIRED = True
    _password_step(client, "organiser")
    assert client.get(MANAGE)["Location"] == "/accounts/security/"
    assert client.get("/admin/")["Location"] == "/accounts/security/"
    assert client.get(f"{MANAGE}signatures/export.csv")["Location"] == "/accounts/security/"
    assert client.get("/accounts/security/").status_code == 200


def test_throttling_counts_per_account_and_hides_whether_it_exists(
    statement: Statement, organiser: User, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    pages = {}
    for username in ("organiser", "nobody-by-this-name"):
        for n in range(3):
            # A different client each time: only the account's count can refuse.
            Client(REMOTE_ADDR=f"10.0.0.{n}").post(
                "/accounts/login/", {"username": username, "password": "wrong"}
            )
        # Now even the right password is refused, with the same words.
        response = Client(REMOTE_ADDR="10.0.1.1").post(
            "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200
        page = response.content.decode().replace(username, "NAME")
        pages[username] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        assert "Too many failed attempts" in pages[username]
    assert pages["organiser"] == pages["nobody-by-this-name"]
    # The count is in the database as keyed hashes, not names or addresses.
    keys = list(LoginFailure.objects.values_list("key", flat=True))
    assert keys and not any("organiser" in key or "10.0" in key for key in keys)
    assert "auth.login_throttled" in _audit_actions()


@pytest.mark.parametrize(
    "spelling",
    [
        "\uff4f\uff52\uff47\uff41\uff4e\uff49\uff53\uff45\uff52",  # full-width letters
        " organiser ",
        "ORGANISER",
        "organi\u017fer",  # long s, which NFKC folds to s
    ],
)
def test_throttling_counts_the_name_as_the_login_reads_it(
    organiser: User, settings: Any, spelling: str
) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    # Failures under one spelling lock every spelling that reaches the same account.
    for n in range(3):
        Client(REMOTE_ADDR=f"10.0.4.{n}").post(
            "/accounts/login/", {"username": "organiser", "password": "wrong"}
        )
    for name in (spelling, "organiser"):
        refused = Client(REMOTE_ADDR="10.0.5.1").post(
            "/accounts/login/", {"username": name, "password": PASSWORD}
        )
        assert "Too many failed attempts" in refused.content.decode()
    LoginFailure.objects.all().delete()
    for n in range(3):
        Client(REMOTE_ADDR=f"10.0.6.{n}").post(
            "/accounts/login/", {"username": spelling, "password": "wrong"}
        )
    refused = Client(REMOTE_ADDR="10.0.7.1").post(
        "/accounts/login/", {"username": "organiser", "password": PASSWORD}
    )
    assert "Too many failed attempts" in refused.content.decode()


def test_the_login_reads_a_full_width_name_as_the_account_it_spells(organiser: User) -> None:
    # The case above matters because Django's login takes this spelling for `organiser`.
    response = Client().post(
        "/accounts/login/",
        {
            "username": "\uff4f\uff52\uff47\uff41\uff4e\uff49\uff53\uff45\uff52",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302


def test_throttling_counts_per_client_across_accounts(
    organiser: User, member: User, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_CLIENT = 4
    attacker = Client(REMOTE_ADDR="192.0.2.9")
    for n in range(4):
        attacker.post("/accounts/login/", {"username": f"guess{n}", "password": "wrong"})
    refused = attacker.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert "Too many failed attempts" in refused.content.decode()
    # Someone else logs in as usual.
    other = Client(REMOTE_ADDR="192.0.2.10")
    assert (
        other.post("/accounts/login/", {"username": "member", "password": PASSWORD}).status_code
        == 302
    )


def test_the_addresses_of_one_ipv6_network_are_one_client(
    organiser: User, member: User, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_CLIENT = 4
    for n in range(4):
        Client(REMOTE_ADDR=f"2001:db8:5:6::{n + 1:x}").post(
            "/accounts/login/", {"username": f"guess{n}", "password": "wrong"}
        )
    data = {"username": "member", "password": PASSWORD}
    refused = Client(REMOTE_ADDR="2001:db8:5:6:ffff::9").post("/accounts/login/", data)
    assert "Too many failed attempts" in refused.content.decode()
    assert Client(REMOTE_ADDR="2001:db8:5:7::1").post("/accounts/login/", data).status_code == 302


def test_failures_keep_counting_across_midnight_utc(organiser: User, settings: Any) -> None:
    # Failures are stored under each day's key; the window still reads yesterday's.
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    data = {"username": "organiser", "password": "wrong"}
    with time_machine.travel("2026-11-23 23:59:00+00:00", tick=False) as traveller:
        for n in range(2):
            Client(REMOTE_ADDR=f"10.0.2.{n}").post("/accounts/login/", data)
        traveller.move_to("2026-11-24 00:01:00+00:00")
        Client(REMOTE_ADDR="10.0.2.9").post("/accounts/login/", data)
        refused = Client(REMOTE_ADDR="10.0.3.1").post(
            "/accounts/login/", {"username": "organiser", "password": PASSWORD}
        )
    assert "Too many failed attempts" in refused.content.decode()


def test_a_refusal_ends_after_the_window(organiser: User, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    with time_machine.travel("2026-11-23 10:00:00+00:00", tick=False) as traveller:
        for _ in range(2):
            Client().post("/accounts/login/", {"username": "organiser", "password": "wrong"})
        data = {"username": "organiser", "password": PASSWORD}
        assert Client().post("/accounts/login/", data).status_code == 200
        traveller.shift(settings.LOGIN_FAILURE_WINDOW + 1)
        assert Client().post("/accounts/login/", data).status_code == 302


def test_an_idle_session_ends(
    statement: Statement, organiser_client: Client, settings: Any
) -> None:
    with time_machine.travel(time.time(), tick=False) as traveller:
        session = organiser_client.session
        session["_auth_at"] = session["_seen_at"] = int(time.time())
        session.save()
        assert organiser_client.get(MANAGE).status_code == 200
        traveller.shift(settings.SESSION_IDLE_SECONDS - 60)
        assert organiser_client.get(MANAGE).status_code == 200
        traveller.shift(settings.SESSION_IDLE_SECONDS + 1)
        assert organiser_client.get(MANAGE).status_code == 302
    assert "auth.session_expired" in _audit_actions()


def test_a_session_ends_after_its_absolute_limit_however_active(
    statement: Statement, organiser_client: Client, settings: Any
) -> None:
    with time_machine.travel(time.time(), tick=False) as traveller:
        session = organiser_client.session
        session["_auth_at"] = session["_seen_at"] = int(time.time())
        session.save()
        elapsed = 0
        while elapsed < settings.SESSION_ABSOLUTE_SECONDS:
            assert organiser_client.get(MANAGE).status_code == 200
            traveller.shift(settings.SESSION_IDLE_SECONDS // 2)
            elapsed += settings.SESSION_IDLE_SECONDS // 2
        traveller.shift(2)
        assert organiser_client.get(MANAGE).status_code == 302


def test_logging_out_is_audited_and_leads_to_the_login_page(organiser_client: Client) -> None:
    response = organiser_client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "auth.logout" in _audit_actions()
    assert organiser_client.get(MANAGE).status_code == 302


def test_a_superuser_resets_a_lost_two_factor_in_the_admin(organiser: User) -> None:
    from undersigned.accounts.models import RecoveryCode
    from undersigned.conftest import _client_for

    _with_two_factor(organiser)
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    admin = _client_for(root)
    row = TwoFactor.objects.get(user=organiser)
    page = admin.get(f"/admin/accounts/twofactor/{row.pk}/change/").content.decode()
    assert row.secret not in page
    response = admin.post(f"/admin/accounts/twofactor/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TwoFactor.objects.filter(user=organiser).exists()
    assert not RecoveryCode.objects.filter(user=organiser).exists()
    reset = AuditLog.objects.get(action="auth.two_factor_disabled")
    assert reset.actor == root and reset.data == {"user": organiser.pk}


def test_knowing_the_password_does_not_reset_the_count_of_wrong_codes(
    organiser: User, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    secret = _with_two_factor(organiser)
    for n in range(3):
        client = Client(REMOTE_ADDR=f"10.1.0.{n}")
        assert _password_step(client, "organiser")["Location"] == "/accounts/two-factor/"
        client.post("/accounts/two-factor/", {"code": _wrong_code(secret)})
    client = Client(REMOTE_ADDR="10.1.1.1")
    refused = _password_step(client, "organiser")
    assert refused.status_code == 200 and "Too many failed attempts" in refused.content.decode()
    # Nor does the code step take a right code meanwhile.
    pending = Client(REMOTE_ADDR="10.1.1.2")
    settings.LOGIN_FAILURES_PER_ACCOUNT = 4
    _password_step(pending, "organiser")
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    page = pending.post("/accounts/two-factor/", {"code": totp.code_at(secret, time.time())})
    assert "Too many failed attempts" in page.content.decode()
