"""The benchmark's processes: the server under test, wrk driving it, and what they cost.

Also the database read with its own driver while the server runs: starting Django for each look
would take a CPU core away from the processes being measured.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results" / "latest.json"
CONNECTIONS = 64
# wrk's threads; each sends its own share of the sign scenario's bodies (see bench/wrk.lua).
THREADS = 2
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
    """`manage.py serve`: granian (2 workers) and the job worker, as `make run` and the
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
        f"-t{THREADS}",
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
    result = {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": errors,
        "requests": data["requests"],
        "status_errors": data["status"],
    }
    if lua_args[:1] == ("sign",):
        # Requests sent without a solved proof of work: all with --sign-without-proof, else
        # those sent once the solved bodies were used up.
        result["unsolved"] = data["unsolved"]
    return result


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
            for line in raw.read_text().split("\n"):
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue  # a stack py-spy could not read whole
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


def query(env: dict[str, str], sql: str) -> Any:
    """One value, read with the database's own driver."""
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as db:
            return db.execute(sql).fetchone()[0]  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(Path(env["DATA_DIR"]) / "undersigned.sqlite3", timeout=30) as db:
        return db.execute(sql).fetchone()[0]


def jobs_left(env: dict[str, str]) -> int:
    return int(query(env, "SELECT count(*) FROM jobs_job WHERE failed_at IS NULL"))
