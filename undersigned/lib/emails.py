"""Canonical email addresses, so one person signs a statement once.

Rules are per domain and conservative: lower case everywhere; "+tag" sub-addresses removed only
for providers that deliver them to the same mailbox; dots removed only for Gmail, which ignores
them. A wrong rule would merge two people, so a domain is added only when its provider documents
the behaviour.
"""

from __future__ import annotations

# Providers that deliver name+anything@domain to name@domain.
_PLUS_TAG_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "fastmail.com",
        "fastmail.fm",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "icloud.com",
        "me.com",
        "mac.com",
        "riseup.net",
        "posteo.de",
        "posteo.net",
        "disroot.org",
        "tutanota.com",
        "tuta.io",
    }
)
_DOT_BLIND_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_ALIASES = {"googlemail.com": "gmail.com"}


def canonical_email(address: str) -> str:
    """Return the form two spellings of one mailbox share. Idempotent."""
    address = address.strip().lower()
    local, sep, domain = address.rpartition("@")
    if not sep:
        return address
    domain = domain.rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    domain = _ALIASES.get(domain, domain)
    if domain in _PLUS_TAG_DOMAINS and "+" in local:
        local = local.split("+", 1)[0] or local
    if domain in _DOT_BLIND_DOMAINS:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"
