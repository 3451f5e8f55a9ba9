"""The sign form's proof of work: a small computation the signer's browser does, costly for
whoever sends signatures by the thousand from a script, and with no third party involved.

The browser looks for a number `nonce` such that SHA-256 of "<form token>:<email>:<nonce>" starts
with `bits` zero bits (about 2**bits tries); the server checks it with one hash. The form token
changes with every page made and the email binds the proof to one signature, so one solution
cannot be reused for another address. Without JavaScript there is no proof, and the signature is
held for an organiser to review instead of refused.
"""

from __future__ import annotations

import hashlib

MAX_NONCE_LENGTH = 12


def normalised_email(email: str) -> str:
    """The email as both sides hash it (static/js/sign.js does the same)."""
    return email.strip().lower()


def digest(token: str, email: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{token}:{normalised_email(email)}:{nonce}".encode()).digest()


def is_valid(token: str, email: str, nonce: str, bits: int) -> bool:
    if bits <= 0:
        return True
    if not nonce or len(nonce) > MAX_NONCE_LENGTH or not nonce.isascii() or not nonce.isdigit():
        return False
    return int.from_bytes(digest(token, email, nonce), "big") >> (256 - bits) == 0


def solve(token: str, email: str, bits: int) -> str:
    """What the browser does, for tests and tools."""
    nonce = 0
    while not is_valid(token, email, str(nonce), bits):
        nonce += 1
    return str(nonce)
