"""`manage.py serve` (what `make run` runs): granian and the worker start, and Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from undersigned.conftest import alive, descendants, free_port

ROOT = Path(__file__).resolve().parents[3]


def test_serve_answers_then_ctrl_c_stops_server_and_worker(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    # A process group of its own, so the test can send Ctrl-C to the group as a terminal does.
    serve = subprocess.Popen(  # noqa: S603
        [*manage, "serve"], env=env, cwd=ROOT, start_new_session=True
    )
    try:
        status = None
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:  # noqa: S310
                    status = response.status
                    css = urllib.request.urlopen(  # noqa: S310
                        f"http://127.0.0.1:{port}/static/css/site.css"
                    )
                    assert css.status == 200
                    # The pages' icon: browsers that have it do not ask for /favicon.ico.
                    icon = urllib.request.urlopen(  # noqa: S310
                        f"http://127.0.0.1:{port}/static/icon.svg"
                    )
                    assert icon.status == 200
                    assert icon.headers["Content-Type"].startswith("image/svg+xml")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        family = descendants(serve.pid)
        commands = {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in family}
        assert any(b"granian" in command for command in commands)
        assert any(b"worker" in command for command in commands)
        os.killpg(serve.pid, signal.SIGINT)
        assert serve.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in family) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in family if alive(pid)]
    finally:
        if serve.poll() is None:
            serve.kill()
