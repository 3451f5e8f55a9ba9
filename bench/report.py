"""The benchmark's figures as tables: plain text for the terminal, and the markdown table of
bench/README.md, which `python bench/report.py --write` (and each full run) rewrites from
bench/results/latest.json, so that it always shows what the JSON holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

# `python bench/report.py` puts bench/ on the path, not the project the modules below import from.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.processes import RESULTS, ROOT
from bench.scenarios import BACKLOG_LIMIT_S


def table(database: str, results: dict[str, Any]) -> str:
    lines = [
        f"{database}: medians of the runs; ratio = req/s of the scenario / req/s of the ceiling;",
        "CPU ms = CPU time of all server processes (web and job worker) per request",
        f"{'scenario':<14}{'req/s':>10}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'CPU ms':>8}",
    ]
    for name in ("ceiling", *SCENARIOS[1:]):
        if name not in results:
            continue
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
    if "pack" in results:
        pack = results["pack"]
        lines.append(
            f"delivery pack: {pack['count']} signers ({pack['listed']} listed, {pack['pages']} "
            f"pages) in {pack['seconds']} s, peak RSS {pack['peak_rss_mb']} MB"
        )
    return "\n".join(lines)


SCENARIOS = (
    "ceiling",
    "page",
    "count",
    "list_shallow",
    "list_deep",
    "fund_page",
    "thermometer",
    "comment_page",
    "sign",
)
DATABASES = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))
# The targets, by the row they apply to.
TARGETS = {
    "page": "≥ 0.8 of the ceiling",
    "count": "≥ 0.8 of the ceiling",
    "fund_page": "≥ 0.8 of the ceiling",
    "thermometer": "≥ 0.8 of the ceiling",
    "comment_page": "≥ 0.8 of the ceiling",
    "list_deep": "≤ 2× list_shallow's time",
    "sign": "≥ 0.5 of the ceiling, p99 < 100 ms",
    "sign_checks": "0, 0, 0",
    "export": "≤ 15 s, ≤ 200 MB for 1,000,000 rows",
    "emails": "≥ 500",
    "update_emails": "≥ 500",
    "pack": "< 120 s, < 500 MB",
}
README = ROOT / "bench" / "README.md"
BEGIN = "<!-- results: written by bench/report.py from bench/results/latest.json -->"
END = "<!-- /results -->"


def _scenario(name: str, row: dict[str, Any] | None, results: dict[str, Any]) -> str:
    if row is None:
        return "not measured"
    ratio = f" ({row['ratio']:.2f})" if "ratio" in row else ""
    cell = (
        f"{row['rps']:,.0f}/s{ratio} · {row['p50_ms']:.1f} / {row['p99_ms']:.1f} ms · "
        f"{row['cpu_ms']:.2f} ms"
    )
    if row["errors"]:
        cell += f" · {row['errors']} errors"
    if name == "list_deep":
        cell += f" · {results['list_shallow']['rps'] / row['rps']:.2f}× list_shallow's time"
    return cell


def _sign_checks(sign: dict[str, Any]) -> str:
    return f"{sign['lost']}, {sign['duplicated']}, {sign.get('held', 'not counted')}"


def _backlog(sign: dict[str, Any]) -> str:
    emptied = sign["emails_emptied_after_s"]
    after = f"{emptied} s" if emptied is not None else f"not within {BACKLOG_LIMIT_S} s"
    return f"{sign['emails_behind']}, {after}"


def _sign_note(settings: dict[str, Any]) -> str:
    mode = settings.get("sign_proof")
    if mode == "solved":
        return (
            "Sign forms sent with their proof of work solved (the server at SIGN_PROOF_BITS="
            f"{settings['sign_proof_bits']}), none held for review."
        )
    if mode == "none":
        return (
            "Sign forms sent without the proof of work (`--sign-without-proof`): the signatures "
            "were held for review, not stored as ordinary ones."
        )
    return (
        "These results were written before the sign scenario solved the proof of work: its "
        "forms went without one, so its signatures were held for review, not stored as "
        "ordinary ones, and were not counted as held."
    )


def markdown(report: dict[str, Any]) -> str:
    """The results of bench/results/latest.json as one markdown table, with a line on how
    they were measured."""
    settings = report["settings"]
    present = [(key, label) for key, label in DATABASES if key in report]
    about = (
        f"{settings['rows']:,} signatures, {settings['runs']} runs of {settings['seconds']} s "
        f"per scenario (the median kept), {settings['connections']} connections, "
        f"{settings['cores']} cores. {_sign_note(settings)} A scenario's cell: requests a second "
        "(ratio to the ceiling) · p50 / p99 latency · CPU time of all server processes per "
        "request."
    )
    lines = [
        textwrap.fill(about, width=96),
        "",
        "| | " + " | ".join(label for _, label in present) + " | target |",
        "|---|" + "---|" * len(present) + "---|",
    ]

    def row(label: str, cell: Callable[[dict[str, Any]], str], target: str = "") -> None:
        cells = " | ".join(cell(report[key]) for key, _ in present)
        lines.append(f"| {label} | {cells} | {target} |")

    for name in SCENARIOS:
        row(
            name,
            lambda results, n=name: _scenario(n, results.get(n), results),
            TARGETS.get(name, ""),
        )
    row("sign: lost, duplicated, held", lambda r: _sign_checks(r["sign"]), TARGETS["sign_checks"])
    row("sign: emails queued as the load stopped, queue empty after", lambda r: _backlog(r["sign"]))
    row(
        f"export of {settings['rows']:,} rows: time, peak RSS",
        lambda r: f"{r['export']['seconds']} s, {r['export']['peak_mb']} MB",
        TARGETS["export"],
    )
    row("emails a second", lambda r: f"{r['emails']['per_s']:,.0f}", TARGETS["emails"])
    row(
        "update emails a second",
        lambda r: f"{r['update_emails']['per_s']:,.0f}",
        TARGETS["update_emails"],
    )
    row(
        "delivery pack of 100,000 signers: time, peak RSS",
        lambda r: (
            f"{r['pack']['seconds']} s, {r['pack']['peak_rss_mb']} MB" if "pack" in r else "not run"
        ),
        TARGETS["pack"],
    )
    return "\n".join(lines)


def write_readme(report: dict[str, Any]) -> None:
    """Replace the results block of bench/README.md with `markdown(report)`."""
    text = README.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(f"{text[:start]}\n{markdown(report)}\n{text[end:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description="bench/results/latest.json as markdown")
    parser.add_argument(
        "--write", action="store_true", help="rewrite the results block of bench/README.md"
    )
    args = parser.parse_args()
    report = json.loads(RESULTS.read_text())
    if args.write:
        write_readme(report)
    else:
        print(markdown(report))


if __name__ == "__main__":
    main()
