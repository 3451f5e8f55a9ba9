"""What the public forms that take an address without an account (an event's RSVP, a fund's
pledge and bank transfer) check against robots, as the sign form does: a field only robots
fill in, a form sent faster than a person types, no proof of work (undersigned.lib.proof).
Such a form is held for the organisers rather than refused: the answer is the same either way,
so a robot learns nothing from it. The sign form has its own (undersigned.public.views.signing),
whose reasons are spelled apart in its model.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from undersigned.abuse.keys import keyed_hash
from undersigned.events.actions import Client
from undersigned.lib import formtoken, proof
from undersigned.lib.clientip import client_ip, key_of
from undersigned.public.views import signing

# The hold reasons, as events' Attendee.HoldReason and funds' Contribution.HoldReason spell them.
HONEYPOT = "honeypot"
TOO_FAST = "too_fast"
NO_PROOF = "no_proof"


def hold_reason(request: HttpRequest, email: str) -> str:
    """Why the form posted in `request` is held, or "" if it came from a person's browser. The
    proof of work is over `email` (empty for a form that asks for none)."""
    post = request.POST
    token = post.get("form_token", "")
    if post.get("website", ""):
        return HONEYPOT
    if formtoken.age_seconds(token) < settings.SIGN_MIN_SECONDS:
        return TOO_FAST
    if not proof.is_valid(token, email, post.get("proof", ""), settings.SIGN_PROOF_BITS):
        return NO_PROOF
    return ""


def client(request: HttpRequest, kind: str, scope: int, email: str) -> Client:
    """Who sent the form, for anti-abuse: keyed hashes only. Its forms of one `kind` on one
    object (`scope`, an event's or a fund's id) count together against SIGN_RATE_LIMITS; the
    emails it makes the site send count with its sign and follow forms' (CLIENT_EMAIL_LIMITS)."""
    who = key_of(client_ip(request))
    return Client(
        rate_key=keyed_hash(kind, f"{scope}:{who}"),
        email_key=signing.email_key(who),
        hold_reason=hold_reason(request, email),
    )
