"""The sign scenario: wrk posting the sign form, each request with an address of its own."""

from __future__ import annotations

import argparse
import re
import time
import urllib.request
from typing import Any

from bench.processes import (
    CONNECTIONS,
    RESULTS,
    WARMUP_SECONDS,
    Server,
    load,
    profile,
    run_json,
    wrk,
)
from bench.scenarios import email_backlog


def sign_form(base: str, slug: str) -> tuple[str, list[str]]:
    """The sign form's hidden fields and the cookies a visitor would get, as wrk arguments."""
    with urllib.request.urlopen(f"{base}/s/{slug}/en/") as response:
        page = response.read().decode()
        cookies = [
            value.split(";", 1)[0]
            for key, value in response.headers.items()
            if key.lower() == "set-cookie"
        ]
    form = page[page.index('id="sign"') :]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    fields = [f"{name}={value}" for name, value in hidden]
    fields += ["name=Bench+Signer", "kind=individual", "display=hidden", "consent=on"]
    headers = [f"Cookie: {'; '.join(cookies)}"] if cookies else []
    return "&".join(fields), headers


def sign_runs(
    server: Server,
    env: dict[str, str],
    base: str,
    slug: str,
    database: str,
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`args.runs` measured sign runs, each checked for lost and doubled signatures, and with
    --profile one more run under py-spy (which takes CPU itself: checked like the others, but
    its speed is not among the figures). Returns the measured runs and the profiled one."""
    sign_url = f"{base}/s/{slug}/en/sign/"
    prefix, headers = sign_form(base, slug)
    wrk(sign_url, WARMUP_SECONDS, "sign", "warmup", prefix, headers=headers)
    measured: list[dict[str, Any]] = []
    profiled: list[dict[str, Any]] = []
    for run in range(args.runs + (1 if args.profile else 0)):
        tag = f"{run}x{int(time.time())}"
        prefix, headers = sign_form(base, slug)
        profiler = None
        if run == args.runs:
            path = RESULTS.parent / f"profile-{database}-sign.txt"
            profiler = profile(server, args.seconds, path)
        result = load(server, sign_url, args.seconds, "sign", tag, prefix, headers=headers)
        if profiler:
            profiler.join()
        result.update(email_backlog(env))
        stored = run_json(["bench/seed.py", "counts", tag], env)
        accepted = result["requests"] - result["status_errors"]
        result["accepted"] = accepted
        result["stored"] = stored["rows"]
        result["lost"] = max(0, accepted - stored["rows"])
        result["duplicated"] = stored["doubled"] + max(0, stored["rows"] - accepted - CONNECTIONS)
        (profiled if profiler else measured).append(result)
    return measured, profiled
