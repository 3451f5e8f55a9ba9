"""Secret tokens for links in emails: 192 random bits, only their hash is stored."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    # A token has far more entropy than a password, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
