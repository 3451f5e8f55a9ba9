"""The scenarios that are not a plain wrk run of GETs: the export, and the worker's emails."""

from __future__ import annotations

import threading
import time
import urllib.request
from typing import Any

from bench.processes import Server, jobs_left, query, rss_mb, run_json


def export(base: str, slug: str, session: str, server: Server) -> dict[str, Any]:
    peak = {"mb": 0.0}
    stop = threading.Event()
    pids = server.web_workers()

    def sample() -> None:
        while not stop.is_set():
            peak["mb"] = max([peak["mb"], *(rss_mb(pid) for pid in pids)])
            time.sleep(0.02)

    before = max(rss_mb(pid) for pid in pids)
    sampler = threading.Thread(target=sample)
    sampler.start()
    request = urllib.request.Request(
        f"{base}/dashboard/s/{slug}/signatures/export.csv",
        headers={"Cookie": f"sessionid={session}"},
    )
    started = time.monotonic()
    size = lines = 0
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
        while chunk := response.read(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.monotonic() - started
    stop.set()
    sampler.join()
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak["mb"], 1),
        "rss_before_mb": round(before, 1),
        "rows": lines - 1,
        "mb": round(size / 1e6, 1),
    }


BACKLOG_LIMIT_S = 120


def email_backlog(env: dict[str, str]) -> dict[str, Any]:
    """Right after a sign run: how many confirmation emails were still queued when the load
    stopped, and how soon the worker had emptied that queue (at most BACKLOG_LIMIT_S; at least
    1.5 s pass, for the requests still in flight to finish before the signatures are counted).
    Emails of those late requests may be queued after the first count: the figure is the
    backlog at that instant, not a total."""
    queued = (
        "SELECT count(*) FROM jobs_job WHERE failed_at IS NULL AND kind = 'mail.confirm_signature'"
    )
    stopped = time.monotonic()
    behind = left = int(query(env, queued))
    while left and time.monotonic() - stopped < BACKLOG_LIMIT_S:
        time.sleep(0.05)
        left = int(query(env, queued))
    emptied = time.monotonic() - stopped
    time.sleep(max(0.0, 1.5 - emptied))
    return {
        "emails_behind": behind,
        "emails_emptied_after_s": round(emptied, 2) if not left else None,
    }


def emails(env: dict[str, str], count: int) -> dict[str, Any]:
    """Queue `count` confirmation emails in one transaction while the worker runs, and time
    from that commit until the job table is empty."""
    queued = run_json(["bench/seed.py", "emails", str(count)], env)
    started = queued["committed_at"]
    while True:
        left = jobs_left(env)
        if left == 0 or time.time() - started > 300:
            break
        time.sleep(0.05)
    seconds = time.time() - started
    return {
        "per_s": round(count / seconds, 1),
        "seconds": round(seconds, 2),
        "left": left,
        "queued": queued["queued"],
    }


def update_emails(env: dict[str, str], count: int) -> dict[str, Any]:
    """An update to `count` signers who asked for updates: time from asking for the mailing
    until the worker has settled every delivery."""
    queued = run_json(["bench/seed.py", "updates", str(count)], env)
    started = queued["committed_at"]
    unfinished = "SELECT count(*) FROM updates_updatemailing WHERE finished_at IS NULL"
    while query(env, unfinished) and time.time() - started < 300:
        time.sleep(0.05)
    seconds = time.time() - started
    sent = query(env, "SELECT count(*) FROM updates_delivery WHERE state = 'sent'")
    return {"per_s": round(sent / seconds, 1), "seconds": round(seconds, 2), "sent": sent}
