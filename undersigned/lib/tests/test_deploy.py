"""Production settings, read from a production-like environment in a process of their own."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "SYSTEMROOT")
    }
    env.update(
        HTTPS="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        ALLOWED_HOSTS="sign.example.org",
        SITE_URL="https://sign.example.org",
        CSRF_TRUSTED_ORIGINS="https://sign.example.org",
        DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="undersigned.settings",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check is HSTS preload, which the operator turns on (HSTS_PRELOAD).
    assert "no issues (1 silenced)" in result.stdout


def test_hsts_preload_is_the_operators_choice(tmp_path: Path) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path, HSTS_PRELOAD="1"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.parametrize(
    ("broken", "warning"),
    [({"HTTPS": "0"}, "security.W008"), ({"DEBUG": "1"}, "security.W018")],
)
def test_the_deploy_check_would_catch_a_weakened_setting(
    tmp_path: Path, broken: dict[str, str], warning: str
) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path, **broken),
    )
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_https_makes_every_cookie_secure_and_sends_hsts(tmp_path: Path) -> None:
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.LANGUAGE_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER]))"
    )
    result = _run(["-c", script], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == [True, True, True, True, 31_536_000, True, ["HTTP_X_FORWARDED_PROTO", "https"]]


@pytest.mark.parametrize(("prefix", "starts"), [("47", False), ("48", True), ("129", False)])
def test_an_ipv6_client_prefix_outside_48_to_128_stops_the_start(
    tmp_path: Path, prefix: str, starts: bool
) -> None:
    result = _run(
        ["-c", "import undersigned.settings"], _production_env(tmp_path, CLIENT_IPV6_PREFIX=prefix)
    )
    assert (result.returncode == 0) is starts
    assert ("CLIENT_IPV6_PREFIX must be from 48 to 128" in result.stderr) is not starts
