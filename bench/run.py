"""`make bench`: the production setup under load, on SQLite then PostgreSQL, bounded in time.

For each database: a fresh database with a statement of ROWS confirmed signatures; granian
(`manage.py serve`) with 2 workers plus the job worker; wrk on 127.0.0.1 as the load, from a
separate process. Every scenario is run RUNS times, after WARMUP_SECONDS of unmeasured load, and the
median (by requests per second) is kept; each is also given as a ratio of the ceiling, a
minimal Django view measured in the same run. The sign scenario sends forms as browsers do,
their proof of work solved and their token old enough, and fails a run in which any signature
was held for review (bench/signing.py).
Figures go to stdout as tables and to bench/results/latest.json; bench/README.md tells how to
read them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# `python bench/run.py` puts bench/ on the path, not the project the modules below import from.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import paper, scenarios, signing
from bench.processes import (
    CONNECTIONS,
    PYTHON,
    RESULTS,
    ROOT,
    WARMUP_SECONDS,
    Server,
    free_port,
    load,
    median_run,
    run_json,
    wrk,
)
from bench.report import README, SCENARIOS, table, write_readme


def bench_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"undersigned-bench-{database}-"))
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
    }
    env.pop("DATABASE_URL", None)
    env.update(DEMO_MODE="0", DEBUG="0", LOG_LEVEL="WARNING")
    # The proof of work's difficulty, the sign form's minimum age and the rate limits: see
    # bench/signing.py for why each is what it is.
    env.update(signing.SERVER_ENV)
    pg_name = None
    if database == "postgresql":
        pg_name = f"undersigned_bench_{int(time.time())}_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", pg_name], check=True)  # noqa: S603, S607
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_name}"
    sink_port, port = free_port(), free_port()
    env.update(
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink_port), SITE_URL=f"http://127.0.0.1:{port}"
    )
    sink = subprocess.Popen(  # noqa: S603
        [PYTHON, "bench/smtp_sink.py", str(sink_port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    server = Server(env, port)
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603
        started = time.monotonic()
        seeded = run_json(["bench/seed.py", "seed", str(args.rows)], env)
        print(
            f"[{database}] seeded {args.rows} signatures in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        only = set(args.only.split(",")) if args.only else None
        results: dict[str, Any] = {}
        if only is None or "pack" in only:
            # Before the server starts: its worker would take the pack's job.
            results["pack"] = paper.scenario(env, args.runs)
            print(f"[{database}] delivery pack: {results['pack']}", flush=True)
            if only == {"pack"}:
                return results
        server.start()
        base = f"http://127.0.0.1:{port}"
        big = seeded["big"]
        # A page nine tenths of the way down the list, as "Older signatures" links reach it.
        deep_url = f"{base}/s/{big}/en/signatories/?before={seeded['deep_cursor']}"
        urls = {
            "ceiling": f"{base}/healthz",
            "page": f"{base}/s/{big}/en/",
            "count": f"{base}/s/{big}/count.json",
            "list_shallow": f"{base}/s/{big}/en/signatories/",
            "list_deep": deep_url,
            "fund_page": f"{base}/f/{seeded['fund']}/en/",
            "thermometer": f"{base}/f/{seeded['fund']}/thermometer.svg",
            "comment_page": f"{base}/s/{seeded['commented']}/en/",
        }
        if only is not None and "update_emails" in only:
            results["update_emails"] = scenarios.update_emails(env, args.emails)
            print(f"[{database}] update emails: {results['update_emails']}", flush=True)
            if only == {"update_emails"}:
                return results
        if only is not None:
            urls = {name: url for name, url in urls.items() if name in only or name == "ceiling"}
        for name, url in urls.items():
            wrk(url, WARMUP_SECONDS, "get")
            results[name] = median_run(
                [load(server, url, args.seconds, "get") for _ in range(args.runs)]
            )
            print(f"[{database}] {name}: {results[name]['rps_runs']} req/s", flush=True)
        measured: list[dict[str, Any]] = []
        profiled: list[dict[str, Any]] = []
        if only is None or "sign" in only:
            measured, profiled = signing.sign_runs(
                server, env, base, seeded["sign"], database, args
            )
        if only is not None:
            if measured:
                results["sign"] = median_run(measured)
            if "export" in only:
                results["export"] = scenarios.export(base, big, seeded["session"], server)
            if "emails" in only:
                results["emails"] = scenarios.emails(env, args.emails)
            return results
        results["sign"] = median_run(measured)
        checked = measured + profiled
        results["sign"]["lost"] = max(run["lost"] for run in checked)
        results["sign"]["duplicated"] = max(run["duplicated"] for run in checked)
        results["sign"]["held"] = max(run["held"] for run in checked)
        print(
            f"[{database}] sign: {results['sign']['rps_runs']} req/s, "
            f"{results['sign']['held']} held",
            flush=True,
        )
        ceiling = results["ceiling"]["rps"]
        for name in SCENARIOS[1:]:
            results[name]["ratio"] = round(results[name]["rps"] / ceiling, 3)
        results["export"] = scenarios.export(base, big, seeded["session"], server)
        print(f"[{database}] export: {results['export']}", flush=True)
        results["emails"] = scenarios.emails(env, args.emails)
        print(f"[{database}] emails: {results['emails']}", flush=True)
        results["update_emails"] = scenarios.update_emails(env, args.emails)
        print(f"[{database}] update emails: {results['update_emails']}", flush=True)
        return results
    finally:
        server.stop()
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=10)
        if pg_name:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", pg_name],  # noqa: S603, S607
                check=False,
            )
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "1000000")))
    parser.add_argument("--emails", type=int, default=int(os.environ.get("BENCH_EMAILS", "10000")))
    parser.add_argument("--only", help="comma-separated scenarios, for development (no JSON)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="one more sign run, under py-spy, into bench/results/profile-<db>-sign.txt",
    )
    parser.add_argument(
        "--sign-without-proof",
        action="store_true",
        help="send the sign forms without the proof of work and at once, as held signatures",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report: dict[str, Any] = {}
    for database in databases:
        report[database] = bench_database(database, args)
    if args.only:
        print(json.dumps(report, indent=1))
        return
    report["settings"] = {
        "seconds": args.seconds,
        "runs": args.runs,
        "rows": args.rows,
        "emails": args.emails,
        "connections": CONNECTIONS,
        "cores": os.cpu_count(),
        "sign_proof": "none" if args.sign_without_proof else "solved",
        "sign_proof_bits": signing.PROOF_BITS,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    write_readme(report)
    for database in databases:
        print()
        print(table(database, report[database]))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)} and {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
