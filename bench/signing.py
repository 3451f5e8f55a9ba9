"""The sign scenario: wrk posting the sign form as signers' browsers do, each with its own address.

Before each timed run the bench does what a signer's browser does before its signer presses
Sign: it loads the statement page, solves the proof of work for each address it will send, and
lets the form's token grow older than SIGN_MIN_SECONDS. So every signature of a run is an
ordinary one, not one held for review, and a run in which any was held fails. With
--sign-without-proof the forms go without a proof, at once, and their signatures are held.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import html
import re
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.processes import (
    CONNECTIONS,
    RESULTS,
    THREADS,
    WARMUP_SECONDS,
    Server,
    load,
    profile,
    run_json,
    wrk,
)
from bench.scenarios import email_backlog
from undersigned.lib import proof

# The proof of work's difficulty on the bench's server. The server checks a solution with one
# hash whatever the difficulty, so a small one measures the same server work and lets the bench
# solve tens of thousands of forms in seconds before each run; in real life each signer's own
# device solves one, at the difficulty of SIGN_PROOF_BITS in undersigned/settings.py.
PROOF_BITS = 8
# The production default: the bench waits until its form's token is older, as a person takes
# that long to fill in the form, instead of turning the check off.
MIN_SECONDS = 3
# Every request of the bench comes from 127.0.0.1: one client for the rate limits, where a
# surge comes from many. The limits are counted as in production (two windows, one count row
# per window that every request of the bench shares) but set beyond what any run reaches, so
# that none is held for them.
RATE_LIMITS = "1000000000/60,1000000000/3600"
CLIENT_EMAIL_LIMITS = "1000000000/60,1000000000/86400"
# What bench/run.py adds to the server's environment.
SERVER_ENV = {
    "SIGN_PROOF_BITS": str(PROOF_BITS),
    "SIGN_MIN_SECONDS": str(MIN_SECONDS),
    "SIGN_RATE_LIMITS": RATE_LIMITS,
    "CLIENT_EMAIL_LIMITS": CLIENT_EMAIL_LIMITS,
}
# Bodies solved per second of load: several times the fastest signing the bench has seen, so
# that wrk does not run out (it counts each request it sends without one, and the run fails).
BODIES_PER_SECOND = 6000


@dataclasses.dataclass(frozen=True)
class SignForm:
    """The sign form as a browser gets it, and what a signer fills in but the email."""

    # URL-encoded, without the email and the proof of work.
    fields: str
    token: str
    # From the form's data-proof-bits, as the browser reads it; 0 without.
    bits: int
    # The cookies the page set, as wrk's -H arguments.
    headers: list[str]
    # time.time() once the page was read: its token was made no later.
    loaded_at: float

    def wait_until_old_enough(self) -> None:
        """Sleep until the token is older than SIGN_MIN_SECONDS (with half a second to spare)."""
        time.sleep(max(0.0, self.loaded_at + MIN_SECONDS + 0.5 - time.time()))


def sign_form(base: str, slug: str) -> SignForm:
    with urllib.request.urlopen(f"{base}/s/{slug}/en/") as response:
        page = response.read().decode()
        cookies = [
            value.split(";", 1)[0]
            for key, value in response.headers.items()
            if key.lower() == "set-cookie"
        ]
    loaded_at = time.time()
    form = page[page.index('id="sign"') :]
    hidden = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }
    hidden.pop("proof", None)
    bits = re.search(r'<form [^>]*data-proof-bits="(\d+)"', form)
    fields = {
        **hidden,
        "website": "",
        "name": "Bench Signer",
        "kind": "individual",
        "display": "hidden",
        "consent": "on",
    }
    return SignForm(
        fields=urlencode(fields),
        token=hidden["form_token"],
        bits=int(bits.group(1)) if bits else 0,
        headers=[f"Cookie: {'; '.join(cookies)}"] if cookies else [],
        loaded_at=loaded_at,
    )


def solve(token: str, email: str, bits: int) -> str:
    """The nonce that undersigned.lib.proof.solve finds, found faster (the hash of the part
    before the nonce is computed once), and checked with the server's own proof.is_valid."""
    start = hashlib.sha256(f"{token}:{proof.normalised_email(email)}:".encode())
    shift = 256 - bits
    nonce = 0
    while True:
        attempt = start.copy()
        attempt.update(str(nonce).encode())
        if int.from_bytes(attempt.digest(), "big") >> shift == 0:
            break
        nonce += 1
    if not proof.is_valid(token, email, str(nonce), bits):
        raise RuntimeError(f"the bench's solution for {email} is not valid")
    return str(nonce)


def lua_args(
    form: SignForm, tag: str, seconds: int, solved: bool, directory: Path
) -> tuple[str, ...]:
    """bench/wrk.lua's arguments for a sign run of `seconds` (see that file). Solved: first
    writes BODIES_PER_SECOND * seconds bodies, the emails b<tag>-<n>@example.org, each with its
    proof of work, and waits until the form's token is old enough."""
    if not solved:
        return ("sign", tag, form.fields, "", str(THREADS))
    path = directory / f"bodies-{tag}.txt"
    with path.open("w") as out:
        for n in range(BODIES_PER_SECOND * seconds):
            email = f"b{tag}-{n}@example.org"
            signer = urlencode({"email": email, "proof": solve(form.token, email, form.bits)})
            out.write(f"{form.fields}&{signer}\n")
    form.wait_until_old_enough()
    return ("sign", tag, form.fields, str(path), str(THREADS))


def check(result: dict[str, Any], database: str, tag: str, solved: bool) -> None:
    """Fail a solved run with any request sent without a proof or any signature held."""
    if not solved:
        return
    where = f"[{database}] sign run {tag}"
    if result["unsolved"]:
        raise RuntimeError(
            f"{where}: {result['unsolved']} requests were sent without a solved proof of work, "
            "the bodies solved before the run used up: raise BODIES_PER_SECOND in "
            "bench/signing.py"
        )
    if result["held"]:
        raise RuntimeError(
            f"{where}: {result['held']} of {result['stored']} bench signatures were held for "
            f"review (by reason: {result['held_by']}), so the figure is not of ordinary ones"
        )


def sign_runs(
    server: Server,
    env: dict[str, str],
    base: str,
    slug: str,
    database: str,
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`args.runs` measured sign runs, each checked for lost, doubled and held signatures,
    and with --profile one more run under py-spy (which takes CPU itself: checked like the
    others, but its speed is not among the figures). Returns the measured runs and the
    profiled one."""
    url = f"{base}/s/{slug}/en/sign/"
    solved = not args.sign_without_proof
    measured: list[dict[str, Any]] = []
    profiled: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-bodies-") as directory:
        form = sign_form(base, slug)
        warmup = lua_args(form, "warmup", WARMUP_SECONDS, solved, Path(directory))
        wrk(url, WARMUP_SECONDS, *warmup, headers=form.headers)
        for run in range(args.runs + (1 if args.profile else 0)):
            tag = f"{run}x{int(time.time())}"
            form = sign_form(base, slug)
            timed = lua_args(form, tag, args.seconds, solved, Path(directory))
            profiler = None
            if run == args.runs:
                path = RESULTS.parent / f"profile-{database}-sign.txt"
                profiler = profile(server, args.seconds, path)
            result = load(server, url, args.seconds, *timed, headers=form.headers)
            if profiler:
                profiler.join()
            result.update(email_backlog(env))
            stored = run_json(["bench/seed.py", "counts", tag], env)
            accepted = result["requests"] - result["status_errors"]
            result["accepted"] = accepted
            result["stored"] = stored["rows"]
            result["lost"] = max(0, accepted - stored["rows"])
            result["duplicated"] = stored["doubled"] + max(
                0, stored["rows"] - accepted - CONNECTIONS
            )
            result["held"] = stored["held"]
            result["held_by"] = stored["held_by"]
            check(result, database, tag, solved)
            (profiled if profiler else measured).append(result)
    return measured, profiled
