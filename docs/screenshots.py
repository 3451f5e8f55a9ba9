"""The README's two screenshots, made from the demo: the statement page on a phone and the
dashboard on a laptop. Run with `make screenshots`; it needs Chromium (/usr/bin/chromium).

It builds a fresh demo in a temporary folder (its own database and pictures), serves it on a
free port of 127.0.0.1 with `manage.py serve`, logs in as the demo organiser, takes the two
pictures and stops the server. Nothing is loaded from anywhere else: requests to other hosts
are refused.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLUG = "free-the-valmora-students"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the demo server did not answer at {url}")


def main() -> None:
    port = _free_port()
    site = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="undersigned-shots-") as data:
        env = {
            **os.environ,
            "DATA_DIR": data,
            "DEMO_MODE": "1",
            "SITE_URL": site,
            "PORT": str(port),
            "WEB_WORKERS": "1",
        }
        env.pop("DATABASE_URL", None)  # always the demo's own SQLite database
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)  # noqa: S603
        quiet = subprocess.DEVNULL
        subprocess.run([*manage, "load_demo"], env=env, check=True, cwd=ROOT, stdout=quiet)  # noqa: S603
        server = subprocess.Popen([*manage, "serve"], env=env, cwd=ROOT, start_new_session=True)  # noqa: S603
        try:
            _wait(f"{site}/healthz")
            _shoot(site)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _shoot(site: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def refuse_elsewhere(route: Route) -> None:
            if route.request.url.startswith(site):
                route.continue_()
            else:
                route.abort()

        phone = browser.new_context(
            base_url=site,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            locale="en-GB",
            is_mobile=True,
            has_touch=True,
        )
        phone.route("**/*", refuse_elsewhere)
        page = phone.new_page()
        page.goto(f"/s/{SLUG}/en/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / "statement.png")
        phone.close()

        laptop = browser.new_context(
            base_url=site, viewport={"width": 1280, "height": 800}, locale="en-GB"
        )
        laptop.route("**/*", refuse_elsewhere)
        page = laptop.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "organiser")
        page.fill("input[name=password]", "demo-organiser")
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"/dashboard/s/{SLUG}/charts/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / "dashboard.png")
        laptop.close()
        browser.close()
    for name in ("statement.png", "dashboard.png"):
        _shrink(OUT / name)
    print(f"Wrote {OUT / 'statement.png'} and {OUT / 'dashboard.png'}")


def _shrink(path: Path) -> None:
    """128 colours are plenty for a screenshot of flat colours and text: a third of the bytes
    the repository keeps."""
    from PIL import Image

    with Image.open(path) as image:
        shrunk = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    shrunk.save(path, optimize=True)


if __name__ == "__main__":
    main()
