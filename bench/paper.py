"""The delivery pack scenario: a statement with N confirmed signers (some organisations, each
display choice, many countries), and the worker's job that makes its pack, timed, with the
peak memory of the process that made it.

    python bench/paper.py seed 100000   # in the bench's environment: prints JSON
    python bench/paper.py make          # one pack, in a process of its own: prints JSON

Run by bench/run.py (`scenario`) before the server starts, so that its worker does not take
the job: `--runs` times, the run with the median time kept, each in a fresh process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

SLUG = "bench-pack"
# Signers of the scenario's statement.
SIGNERS = 100_000
# Signers' countries, weighted as a campaign's might be (most from two or three countries).
COUNTRIES = "PE PE PE PE BO BO CL AR MX ES ES GB US FR DE NG IN BR CO EC".split() + [""]
GIVEN = "Ana María José Luis Carmen Kofi Aisha Omar Lucía Pablo Zainab Nils Freya Ravi Hana".split()
FAMILY = "García Quispe Mamani Condori Mensah Hassan Novak Larsen Flores Torres Ortega".split()


def scenario(env: dict[str, str], runs: int) -> dict[str, Any]:
    """Seed the statement, make its pack `runs` times; the median run, with every run's
    seconds."""
    from bench.processes import run_json

    run_json(["bench/paper.py", "seed", str(SIGNERS)], env)
    made = sorted(
        (run_json(["bench/paper.py", "make"], env) for _ in range(runs)),
        key=lambda run: float(run["seconds"]),
    )
    median = dict(made[len(made) // 2])
    median["seconds_runs"] = [run["seconds"] for run in made]
    median["peak_rss_mb_runs"] = [run["peak_rss_mb"] for run in made]
    return median


def setup() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    import django

    django.setup()


def _rows(statement_id: int, count: int, start: dt.datetime) -> Iterator[dict[str, Any]]:
    for n in range(count):
        at = start + dt.timedelta(milliseconds=n * 50)
        organisation = n % 50 == 0  # 2 %
        name = f"{GIVEN[n % len(GIVEN)]} {FAMILY[(n // 7) % len(FAMILY)]} {n}"
        yield {
            "statement_id": statement_id,
            "language": "es" if n % 3 else "en",
            "kind": "organisation" if organisation else "individual",
            "name": name,
            "email": f"p{n}@example.org",
            "email_canonical": f"p{n}@example.org",
            "country": COUNTRIES[n % len(COUNTRIES)],
            "organisation_name": f"Union number {n}" if organisation else "",
            "organisation_role": "Secretary" if organisation and n % 100 else "",
            # As the demo's crowd: many only counted, the rest by full name or initial.
            "display": ("hidden", "initial", "full", "full")[n % 4],
            "consent_version": "bench",
            "consent_at": at,
            "state": "confirmed",
            "created_at": at,
            "confirmed_at": at,
        }


def seed(count: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from undersigned.organisations.models import Membership, Organisation
    from undersigned.statements.models import Signature, Statement, StatementVersion

    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-paper", defaults={"name": "Bench Paper Union"}
    )
    statement = Statement.objects.create(
        organisation=organisation,
        slug=SLUG,
        status="open",
        default_language="en",
        addressed_to="The Ministry",
    )
    body = "Solidarity text. " * 300
    for language in ("en", "es"):
        StatementVersion.objects.create(
            statement=statement,
            language=language,
            title=f"Bench pack {language}",
            summary="A statement with many signatures.",
            body=body,
            demands="One\nTwo\nThree",
        )
    start = timezone.now() - dt.timedelta(days=20)
    rows = _rows(statement.pk, count, start)
    with transaction.atomic():
        while batch := [Signature(**row) for _, row in zip(range(5000), rows, strict=False)]:
            Signature.objects.bulk_create(batch)
    user, _ = User.objects.get_or_create(username="bench-paper")
    Membership.objects.get_or_create(organisation=organisation, user=user, role="owner")
    return {"slug": SLUG, "signatures": count}


def make() -> dict[str, Any]:
    """One pack made by the worker's job, as an organiser's request queues it."""
    from django.contrib.auth.models import User

    from undersigned.jobs.queue import drain
    from undersigned.paper.actions import request_document
    from undersigned.paper.models import Document
    from undersigned.statements.models import Statement

    statement = Statement.objects.get(slug=SLUG)
    user = User.objects.get(username="bench-paper")
    document = request_document(
        statement, Document.Kind.PACK, {"addressee_language": "en", "letter": ""}, user
    )
    started, cpu = time.monotonic(), time.process_time()
    drain()
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    document.refresh_from_db()
    assert document.state == Document.State.READY, document.error
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_rss_mb": _peak_rss_mb(),
        "pages": _pages(document),
        "bytes": document.size,
        "listed": document.listed,
        "count": document.count,
    }


def _pages(document: Any) -> int:
    import pypdf

    return len(pypdf.PdfReader(document.path).pages)


def _peak_rss_mb() -> int:
    """The most memory this process has held at once (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


if __name__ == "__main__":
    setup()
    if sys.argv[1] == "seed":
        result = seed(int(sys.argv[2]))
    else:
        result = make()
    print(json.dumps(result))
