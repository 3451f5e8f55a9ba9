"""`make bench`: the production setup under load, on SQLite then PostgreSQL, bounded in time.

For each database: a fresh database with a statement of ROWS confirmed signatures; granian in
WSGI mode with 2 workers plus the job worker; wrk on 127.0.0.1 as the load, from a separate
process. Every scenario is run RUNS times, after WARMUP_SECONDS of unmeasured load, and the
median (by requests per second) is kept; each is also given as a ratio of the ceiling, a
minimal Django view measured in the same run.
Figures go to stdout as tables and to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results" / "latest.json"
CONNECTIONS = 64
# Unmeasured load before each scenario's runs: a fresh process's first requests of a kind open
# its threads' database connections, read the statement, prepare the form and fill caches, a
# cost paid once per process, not in every surge.
WARMUP_SECONDS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [PYTHON, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Server:
    """`manage.py serve`: granian (WSGI, 2 workers) and the job worker, as `make run` and the
    README's production setup run them."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "serve", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_http(f"http://127.0.0.1:{self.port}/healthz")

    def web_workers(self) -> list[int]:
        """The granian processes that answer requests (children of granian's main process)."""
        assert self.process is not None
        found = []
        for child in children(self.process.pid):
            if b"granian" in Path(f"/proc/{child}/cmdline").read_bytes():
                found += children(child)
        return found

    def processes(self) -> list[int]:
        """Every process of the server: `serve`, granian and its workers, the job worker."""
        assert self.process is not None
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children(pid)
        return found

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.processes())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def wrk(url: str, seconds: int, *lua_args: str, headers: list[str] | None = None) -> dict[str, Any]:
    command = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk.lua"),
    ]
    for header in headers or []:
        command += ["-H", header]
    command += [url, "--", *lua_args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    data = json.loads(line[5:])
    errors = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": errors,
        "requests": data["requests"],
        "status_errors": data["status"],
    }


def load(server: Server, url: str, seconds: int, *lua_args: str, **kwargs: Any) -> dict[str, Any]:
    """A wrk run, with the server's CPU time per request: the job worker's included, since
    what a request queues is part of its cost."""
    web = server.web_workers()
    before, web_before = server.cpu(), sum(cpu_seconds(pid) for pid in web)
    result = wrk(url, seconds, *lua_args, **kwargs)
    requests = max(1, result["requests"])
    result["cpu_ms"] = round((server.cpu() - before) * 1000 / requests, 3)
    web_cpu = sum(cpu_seconds(pid) for pid in web) - web_before
    result["web_cpu_ms"] = round(web_cpu * 1000 / requests, 3)
    return result


def profile(server: Server, seconds: int, out: Path) -> threading.Thread:
    """Sample the web workers and the job worker with py-spy (only the time a thread holds the
    GIL) while a scenario runs, and write the functions that took most of it to `out`."""
    pids = [pid for pid in server.processes() if pid != server.process.pid]  # type: ignore[union-attr]

    def record() -> None:
        raws = []
        procs = []
        for pid in pids:
            raw = out.with_suffix(f".{pid}.raw")
            procs.append(
                subprocess.Popen(  # noqa: S603
                    [
                        shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "--pid",
                        str(pid),
                        "--gil",
                        "--nonblocking",
                        "--rate",
                        "200",
                        "--duration",
                        str(seconds),
                        "--format",
                        "raw",
                        "--output",
                        str(raw),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            raws.append((pid, raw))
        for proc in procs:
            proc.wait()
        lines = []
        for pid, raw in raws:
            if not raw.exists():
                continue
            inclusive: dict[str, int] = {}
            total = 0
            for line in raw.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                total += int(count)
                for frame in set(stack.split(";")):
                    name = frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].split(":")[0]
                    inclusive[name] = inclusive.get(name, 0) + int(count)
            raw.unlink()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:80]
            lines.append(
                f"# pid {pid} {command.decode(errors='replace')}: {total} samples "
                f"holding the GIL ({total / (200 * seconds):.0%} of the time)"
            )
            top = sorted(inclusive.items(), key=lambda item: -item[1])[:40]
            lines += [f"{100 * n / max(1, total):5.1f}%  {name}" for name, n in top]
            lines.append("")
        out.write_text("\n".join(lines))

    thread = threading.Thread(target=record)
    thread.start()
    return thread


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda run: run["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["rps_runs"] = [round(run["rps"]) for run in runs]
    return chosen


def sign_form(base: str, slug: str) -> tuple[str, list[str]]:
    """The sign form's hidden fields and the cookies a visitor would get, as wrk arguments."""
    with urllib.request.urlopen(f"{base}/s/{slug}/en/") as response:  # noqa: S310
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
        f"{base}/s/{slug}/manage/signatures.csv", headers={"Cookie": f"sessionid={session}"}
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


def jobs_left(env: dict[str, str]) -> int:
    """Count queued jobs with the database's own driver: starting Django for each look would
    take a CPU core away from the worker being measured.
    """
    query = "SELECT count(*) FROM jobs_job WHERE failed_at IS NULL"
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as db:
            return int(db.execute(query).fetchone()[0])  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(Path(env["DATA_DIR"]) / "undersigned.sqlite3", timeout=30) as db:
        return int(db.execute(query).fetchone()[0])


BACKLOG_LIMIT_S = 120


def email_backlog(env: dict[str, str]) -> dict[str, Any]:
    """Right after a sign run: how many confirmation emails were still queued when the load
    stopped, and how soon the worker had emptied that queue (at most BACKLOG_LIMIT_S; at least
    1.5 s pass, for the requests still in flight to finish before the signatures are counted).
    Emails of those late requests may be queued after the first count: the figure is the
    backlog at that instant, not a total."""
    query = (
        "SELECT count(*) FROM jobs_job WHERE failed_at IS NULL AND kind = 'mail.confirm_signature'"
    )
    stopped = time.monotonic()
    behind = left = int(_query(env, query))
    while left and time.monotonic() - stopped < BACKLOG_LIMIT_S:
        time.sleep(0.05)
        left = int(_query(env, query))
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


def _query(env: dict[str, str], query: str) -> Any:
    """One value, read with the database's own driver (see jobs_left)."""
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as db:
            return db.execute(query).fetchone()[0]  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(Path(env["DATA_DIR"]) / "undersigned.sqlite3", timeout=30) as db:
        return db.execute(query).fetchone()[0]


def update_emails(env: dict[str, str], count: int) -> dict[str, Any]:
    """An update to `count` signers who asked for updates: time from asking for the mailing
    until the worker has settled every delivery."""
    queued = run_json(["bench/seed.py", "updates", str(count)], env)
    started = queued["committed_at"]
    unfinished = "SELECT count(*) FROM updates_updatemailing WHERE finished_at IS NULL"
    while _query(env, unfinished) and time.time() - started < 300:
        time.sleep(0.05)
    seconds = time.time() - started
    sent = _query(env, "SELECT count(*) FROM updates_delivery WHERE state = 'sent'")
    return {"per_s": round(sent / seconds, 1), "seconds": round(seconds, 2), "sent": sent}


def bench_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"undersigned-bench-{database}-"))
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
    }
    env.pop("DATABASE_URL", None)
    env.update(DEMO_MODE="0", DEBUG="0", LOG_LEVEL="WARNING")
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
        }
        results: dict[str, Any] = {}
        only = set(args.only.split(",")) if args.only else None
        if only is not None and "update_emails" in only:
            results["update_emails"] = update_emails(env, args.emails)
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
        # With --profile, one more run under py-spy, which takes CPU itself: checked for lost and
        # doubled signatures like the others, but its speed is not among the figures.
        sign_runs: list[dict[str, Any]] = []
        profiled_runs: list[dict[str, Any]] = []
        measured = args.runs if only is None or "sign" in only else 0
        sign_url = f"{base}/s/{seeded['sign']}/en/sign/"
        if measured:
            prefix, headers = sign_form(base, seeded["sign"])
            wrk(sign_url, WARMUP_SECONDS, "sign", "warmup", prefix, headers=headers)
        for run in range(measured + (1 if args.profile and measured else 0)):
            tag = f"{run}x{int(time.time())}"
            prefix, headers = sign_form(base, seeded["sign"])
            profiler = None
            if run == measured:
                path = RESULTS.parent / f"profile-{database}-sign.txt"
                profiler = profile(server, args.seconds, path)
            result = load(
                server,
                sign_url,
                args.seconds,
                "sign",
                tag,
                prefix,
                headers=headers,
            )
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
            (profiled_runs if profiler else sign_runs).append(result)
        if only is not None:
            if sign_runs:
                results["sign"] = median_run(sign_runs)
            if "export" in only:
                results["export"] = export(base, big, seeded["session"], server)
            if "emails" in only:
                results["emails"] = emails(env, args.emails)
            return results
        results["sign"] = median_run(sign_runs)
        checked = sign_runs + profiled_runs
        results["sign"]["lost"] = max(run["lost"] for run in checked)
        results["sign"]["duplicated"] = max(run["duplicated"] for run in checked)
        print(f"[{database}] sign: {results['sign']['rps_runs']} req/s", flush=True)
        ceiling = results["ceiling"]["rps"]
        for name in ("page", "count", "list_shallow", "list_deep", "sign"):
            results[name]["ratio"] = round(results[name]["rps"] / ceiling, 3)
        results["export"] = export(base, big, seeded["session"], server)
        print(f"[{database}] export: {results['export']}", flush=True)
        results["emails"] = emails(env, args.emails)
        print(f"[{database}] emails: {results['emails']}", flush=True)
        results["update_emails"] = update_emails(env, args.emails)
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
    lines.append(f"sign: {sign['lost']} lost, {sign['duplicated']} duplicated")
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
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for database in databases:
        print()
        print(table(database, report[database]))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
