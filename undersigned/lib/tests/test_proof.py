from __future__ import annotations

import hashlib

from undersigned.lib import proof


def test_a_solution_has_the_leading_zero_bits() -> None:
    nonce = proof.solve("token", "Ana@Example.net ", 12)
    digest = hashlib.sha256(f"token:ana@example.net:{nonce}".encode()).digest()
    assert int.from_bytes(digest, "big") >> (256 - 12) == 0
    assert proof.is_valid("token", "ana@example.net", nonce, 12)


def test_a_solution_is_bound_to_its_token_and_address() -> None:
    nonce = proof.solve("token", "ana@example.net", 16)
    assert proof.is_valid("token", "ana@example.net", nonce, 16)
    assert not proof.is_valid("other-token", "ana@example.net", nonce, 16)
    assert not proof.is_valid("token", "bob@example.net", nonce, 16)


def test_missing_or_malformed_nonces_fail() -> None:
    for nonce in ("", "abc", "1" * 13, "１２", "-1"):
        assert not proof.is_valid("token", "ana@example.net", nonce, 4)


def test_zero_bits_turns_the_check_off() -> None:
    assert proof.is_valid("token", "ana@example.net", "", 0)
