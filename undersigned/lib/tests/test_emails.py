from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.lib.emails import canonical_email


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Ana@Example.ORG", "ana@example.org"),
        ("  ana@example.org ", "ana@example.org"),
        ("a.n.a+petition@gmail.com", "ana@gmail.com"),
        ("Ana+x@GoogleMail.com", "ana@gmail.com"),
        ("ana+news@fastmail.com", "ana@fastmail.com"),
        ("ana+news@riseup.net", "ana@riseup.net"),
        # Providers not known to ignore +tags or dots keep them: they may be other mailboxes.
        ("ana+news@example.org", "ana+news@example.org"),
        ("a.na@outlook.com", "a.na@outlook.com"),
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
    ],
)
def test_it_canonicalises_per_domain(given: str, canonical: str) -> None:
    assert canonical_email(given) == canonical


@pytest.mark.parametrize(
    "address", ["A.B+c+d@gmail.com", "+@gmail.com", "...@gmail.com", "x@ünï.example", "noat"]
)
def test_canonicalising_twice_changes_nothing(address: str) -> None:
    once = canonical_email(address)
    assert canonical_email(once) == once


@settings(max_examples=150, deadline=None)
@given(
    st.emails()
    | st.text(max_size=80)
    | st.from_regex(r"[A-Za-z.+]{1,12}@(gmail|GoogleMail|fastmail)\.com\.?", fullmatch=True)
)
def test_canonicalising_any_address_twice_changes_nothing(address: str) -> None:
    once = canonical_email(address)
    assert canonical_email(once) == once
