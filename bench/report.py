"""The benchmark's figures as tables: plain text for the terminal."""

from __future__ import annotations

from typing import Any

from bench.scenarios import BACKLOG_LIMIT_S


def table(database: str, results: dict[str, Any]) -> str:
    lines = [
        f"{database}: medians of the runs; ratio = req/s of the scenario / req/s of the ceiling;",
        "CPU ms = CPU time of all server processes (web and job worker) per request",
        f"{'scenario':<14}{'req/s':>10}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'CPU ms':>8}",
    ]
    for name in ("ceiling", "page", "count", "list_shallow", "list_deep", "sign"):
        row = results[name]
        lines.append(
            f"{name:<14}{row['rps']:>10.0f}{row.get('ratio', 1):>8.2f}{row['p50_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}{row['errors']:>8}{row['cpu_ms']:>8.2f}"
        )
    sign, export_, mails = results["sign"], results["export"], results["emails"]
    held = f", {sign['held']} held for review" if "held" in sign else ""
    lines.append(f"sign: {sign['lost']} lost, {sign['duplicated']} duplicated{held}")
    if "emails_behind" in sign:
        emptied = sign["emails_emptied_after_s"]
        lines.append(
            f"sign, median run: {sign['emails_behind']} confirmation emails queued when the load "
            "stopped, "
            + (
                f"the queue empty {emptied} s later"
                if emptied is not None
                else f"the queue not empty after {BACKLOG_LIMIT_S} s"
            )
        )
    lines.append(
        f"export: {export_['rows']} rows in {export_['seconds']} s, "
        f"peak RSS {export_['peak_mb']} MB"
    )
    lines.append(f"emails: {mails['per_s']} per second into the SMTP sink")
    if "update_emails" in results:
        updates = results["update_emails"]
        lines.append(
            f"update emails: {updates['per_s']} per second into the SMTP sink "
            f"({updates['sent']} sent)"
        )
    return "\n".join(lines)
