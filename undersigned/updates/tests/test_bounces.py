"""Marking addresses that bounce, by command and by the mail server's hook: no update goes to
them again, whichever statement they signed."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.updates.models import Bounce
from undersigned.updates.recipients import bounce_key

HOOK = "/hooks/bounces/"


@pytest.fixture
def hook_on(settings: object, db: None) -> str:
    settings.BOUNCE_HOOK_TOKEN = "s3cret-hook-token"  # type: ignore[attr-defined]  # noqa: S105
    return "s3cret-hook-token"


def _post(client: Client, body: object, token: str | None) -> object:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(HOOK, raw, content_type="application/json", **headers)


def test_the_hook_marks_addresses_by_a_keyed_hash_only(
    client: Client, hook_on: str, db: None
) -> None:
    response = _post(client, {"addresses": ["Ana@Example.org", "luis@example.net"]}, hook_on)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.json() == {"marked": 2}  # type: ignore[attr-defined]
    assert set(Bounce.objects.values_list("key", flat=True)) == {
        bounce_key("ana@example.org"),
        bounce_key("luis@example.net"),
    }
    assert not Bounce.objects.filter(key__contains="@").exists()
    # Again: nothing new.
    assert _post(client, {"addresses": ["ana@example.org"]}, hook_on).json() == {"marked": 0}  # type: ignore[attr-defined]
    assert AuditLog.objects.filter(action="bounces.reported").count() == 2


def test_the_hook_is_off_without_a_token(client: Client, db: None) -> None:
    assert _post(client, {"addresses": ["a@example.org"]}, "anything").status_code == 404  # type: ignore[attr-defined]
    assert Bounce.objects.count() == 0


@pytest.mark.parametrize("token", [None, "wrong", "s3cret-hook-token-and-more"])
def test_the_hook_refuses_a_wrong_token(client: Client, hook_on: str, token: str | None) -> None:
    assert _post(client, {"addresses": ["a@example.org"]}, token).status_code == 401  # type: ignore[attr-defined]
    assert Bounce.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"address": "a@example.org"},
        {"addresses": "a@example.org"},
        {"addresses": [1, 2]},
        {"addresses": ["a@example.org"], "extra": True},
        {"addresses": ["a@example.org"] * 1001},
        # Nested deeper than the JSON parser recurses.
        "[" * 100_000,
        '{"addresses": ' + "[" * 100_000,
    ],
)
def test_the_hook_answers_bad_input_with_a_400(client: Client, hook_on: str, body: object) -> None:
    response = _post(client, body, hook_on)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "addresses" in response.json()["error"]  # type: ignore[attr-defined]
    assert Bounce.objects.count() == 0


def test_the_command_marks_addresses_from_arguments_and_stdin(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("b@example.org\n\nc@example.org\n"))
    out = io.StringIO()
    call_command("mark_bounced", "a@example.org", "-", stdout=out)
    assert "3 address(es) newly marked" in out.getvalue()
    assert Bounce.objects.count() == 3
