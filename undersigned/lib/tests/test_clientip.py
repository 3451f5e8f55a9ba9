from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from undersigned.lib import clientip
from undersigned.lib.clientip import (
    UntrustedProxyMiddleware,
    client_ip,
    client_key,
    key_of,
    network_of,
)

SPOOFS = {
    "HTTP_X_FORWARDED_FOR": "198.51.100.7",
    "HTTP_X_REAL_IP": "198.51.100.8",
    "HTTP_FORWARDED": "for=198.51.100.9",
}


def _request(peer: str, **headers: str) -> object:
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


def test_headers_from_an_untrusted_peer_are_ignored(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_ip(_request("203.0.113.5", **SPOOFS)) == "203.0.113.5"  # type: ignore[arg-type]


def test_without_trusted_proxies_the_peer_is_the_client(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("127.0.0.1", **SPOOFS)) == "127.0.0.1"  # type: ignore[arg-type]


def test_a_trusted_proxy_names_the_client_from_the_right(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client typed in its own X-Forwarded-For; the proxy appended the real address.
    request = _request("10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5, 10.0.0.2")
    assert client_ip(request) == "203.0.113.5"  # type: ignore[arg-type]


def test_a_trusted_proxy_ignores_x_real_ip_and_forwarded(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    request = _request("10.0.0.1", HTTP_X_REAL_IP="1.2.3.4", HTTP_FORWARDED="for=1.2.3.4")
    assert client_ip(request) == "10.0.0.1"  # type: ignore[arg-type]


def test_ipv4_mapped_addresses_are_plain_ipv4(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("::ffff:203.0.113.5")) == "203.0.113.5"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.5", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("not an address", "not an address"),
    ],
)
def test_network_of(address: str, network: str) -> None:
    assert network_of(address) == network


@pytest.mark.parametrize(
    ("prefix", "address", "key"),
    [
        (64, "203.0.113.5", "203.0.113.5"),
        (64, "2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        (64, "2001:db8:1:2::1", "2001:db8:1:2::/64"),
        (56, "2001:db8:1:2ff::1", "2001:db8:1:200::/56"),
        (128, "2001:db8:1:2::1", "2001:db8:1:2::1/128"),
        (64, "::ffff:203.0.113.5", "203.0.113.5"),
        (64, "not an address", "not an address"),
    ],
)
def test_a_client_is_an_ipv4_address_or_an_ipv6_network(
    settings: SettingsWrapper, prefix: int, address: str, key: str
) -> None:
    settings.CLIENT_IPV6_PREFIX = prefix
    assert key_of(address) == key


def test_the_client_key_is_taken_through_trusted_proxies_only(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    forwarded = {"HTTP_X_FORWARDED_FOR": "2001:db8:1:2::77"}
    assert client_key(_request("10.0.0.1", **forwarded)) == "2001:db8:1:2::/64"  # type: ignore[arg-type]
    assert client_key(_request("2001:db8:9::5", **forwarded)) == "2001:db8:9::/64"  # type: ignore[arg-type]


def test_a_client_always_falls_in_one_network_of_the_watch_page(
    settings: SettingsWrapper,
) -> None:
    settings.CLIENT_IPV6_PREFIX = 48
    assert key_of("2001:db8:1:2::1") == network_of("2001:db8:1:2::1")


@pytest.fixture
def not_warned_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(UntrustedProxyMiddleware, "warned", False)


def _proxy_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "undersigned.lib.clientip" and "TRUSTED_PROXIES" in record.getMessage()
    ]


@pytest.mark.parametrize(
    ("peer", "headers", "trusted"),
    [
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}, []),
        ("::1", {"HTTP_FORWARDED": "for=198.51.100.7"}, []),
        ("10.1.2.3", {"HTTP_X_REAL_IP": "198.51.100.7"}, []),
        # A proxy at another address than the one trusted.
        ("10.1.2.3", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}, ["127.0.0.1"]),
    ],
)
def test_a_request_through_an_untrusted_proxy_is_said_once_in_the_log(
    db: None,
    not_warned_yet: None,
    caplog: pytest.LogCaptureFixture,
    settings: SettingsWrapper,
    peer: str,
    headers: dict[str, str],
    trusted: list[str],
) -> None:
    settings.TRUSTED_PROXIES = trusted
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert Client(REMOTE_ADDR=peer, **headers).get("/healthz").status_code == 200
    (warning,) = _proxy_warnings(caplog)
    assert warning.levelno == logging.ERROR
    assert peer not in warning.getMessage()


@pytest.mark.parametrize(
    ("peer", "headers", "trusted"),
    [
        ("127.0.0.1", {}, []),  # no proxy
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}, ["127.0.0.1"]),
        ("10.1.2.3", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}, ["10.0.0.0/8"]),
        # From the internet anyone can send the header: a proxy does not sit there.
        ("203.0.113.5", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}, []),
    ],
)
def test_no_warning_without_a_proxy_or_with_it_trusted(
    db: None,
    not_warned_yet: None,
    caplog: pytest.LogCaptureFixture,
    settings: SettingsWrapper,
    peer: str,
    headers: dict[str, str],
    trusted: list[str],
) -> None:
    settings.TRUSTED_PROXIES = trusted
    with caplog.at_level(logging.INFO):
        assert Client(REMOTE_ADDR=peer, **headers).get("/healthz").status_code == 200
    assert _proxy_warnings(caplog) == []


def test_the_check_sees_every_request_and_after_warning_does_nothing_more(
    db: None,
    not_warned_yet: None,
    caplog: pytest.LogCaptureFixture,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert django_settings.MIDDLEWARE[0] == "undersigned.lib.clientip.UntrustedProxyMiddleware"
    settings.TRUSTED_PROXIES = []
    proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    # A sign POST is answered early in the chain: the check comes before it.
    with caplog.at_level(logging.INFO):
        proxy.post("/s/nothing-here/en/sign/", {})
    assert len(_proxy_warnings(caplog)) == 1

    def looked(*args: Any) -> bool:
        raise AssertionError("the check ran again after warning")

    monkeypatch.setattr(clientip, "_untrusted_proxy", looked)
    monkeypatch.setattr(clientip, "forwarded", looked)
    assert proxy.get("/healthz").status_code == 200
