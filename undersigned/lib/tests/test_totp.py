from __future__ import annotations

import base64

import pytest

from undersigned.lib import totp

# RFC 6238, appendix B: the SHA-1 key, times and 8-digit codes.
RFC_KEY = b"12345678901234567890"


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_it_matches_the_rfc_6238_test_vectors(unix_time: int, code: str) -> None:
    assert totp.hotp(RFC_KEY, totp.step_at(unix_time), digits=8) == code


def test_six_digit_codes_are_the_last_six_of_the_rfc_ones() -> None:
    secret = base64.b32encode(RFC_KEY).decode()
    assert totp.code_at(secret, 59) == "287082"
    assert totp.matching_step(secret, "287 082", 59) == 1


def test_a_code_from_the_next_or_previous_step_is_accepted_but_not_older() -> None:
    # A fixed secret: with a new one each run, the older code would equal an accepted one by
    # chance a few times in a million.
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    now = 1_700_000_000
    assert totp.matching_step(secret, totp.code_at(secret, now - 30), now) is not None
    assert totp.matching_step(secret, totp.code_at(secret, now + 30), now) is not None
    assert totp.matching_step(secret, totp.code_at(secret, now - 90), now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12345x"])
def test_malformed_codes_never_match(code: str) -> None:
    assert totp.matching_step(totp.new_secret(), code) is None


def test_the_uri_names_issuer_and_account() -> None:
    uri = totp.uri("JBSWY3DPEHPK3PXP", "ana", "Undersigned")
    assert uri.startswith("otpauth://totp/Undersigned%3Aana?secret=JBSWY3DPEHPK3PXP")
    assert "issuer=Undersigned" in uri
