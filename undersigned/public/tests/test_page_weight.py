"""Every page stays light on a first visit: what the browser loads for it (the page, its
stylesheets, scripts and pictures, nothing cached yet) adds up to less than 100 KB, measured
in real Chromium on the demo campaign (a cover picture, logos, an update with a picture) on a
phone and on a laptop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Request

from undersigned.conftest import _client_for
from undersigned.organisations.models import Membership
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    site,
)
from undersigned.updates.models import Update

pytestmark = pytest.mark.browser

LIMIT = 100 * 1024
SLUG = "free-the-valmora-students"
SCREENS = [(390, 844), (1280, 800)]


def _weigh(
    chromium: Chromium,  # noqa: F811
    path: str,
    size: tuple[int, int],
    session: str | None,
) -> dict[str, int]:
    """Bytes received for `path` on a first visit, by address: each response's headers and
    body."""
    context = chromium.browser.new_context(
        base_url=chromium.site, viewport={"width": size[0], "height": size[1]}
    )
    if session:
        context.add_cookies([{"name": "sessionid", "value": session, "url": chromium.site}])
    loaded: list[Request] = []
    context.on("requestfinished", lambda request: loaded.append(request))
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.ok, (path, response and response.status)
    page.wait_for_load_state("networkidle")
    received = {}
    for request in loaded:
        sizes = request.sizes()
        received[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    return received


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> User:
    settings.MEDIA_ROOT = tmp_path
    settings.DEMO_MODE = True
    call_command("load_demo", verbosity=0)
    return Membership.objects.get(user__username="organiser").user


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_weighs_less_than_100_kb_on_a_first_visit(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    demo: User,
    size: tuple[int, int],
) -> None:
    update = Update.objects.get(statement__slug=SLUG)
    public = [
        "/",
        f"/s/{SLUG}/en/",
        f"/s/{SLUG}/es/",
        f"/s/{SLUG}/en/beside/es/",
        f"/s/{SLUG}/en/signatories/",
        f"/s/{SLUG}/en/check-email/",
        f"/s/{SLUG}/en/thanks/",
        f"/s/{SLUG}/en/updates/",
        f"/s/{SLUG}/en/updates/{update.pk}/",
        "/accounts/login/",
    ]
    dashboard = [
        "/dashboard/",
        f"/dashboard/s/{SLUG}/",
        f"/dashboard/s/{SLUG}/signatures/",
        f"/dashboard/s/{SLUG}/charts/",
        f"/dashboard/s/{SLUG}/versions/en/",
        f"/dashboard/s/{SLUG}/settings/",
        f"/dashboard/s/{SLUG}/updates/{update.pk}/",
        "/dashboard/o/student-solidarity-network/pictures/",
    ]
    session = _client_for(demo).cookies["sessionid"].value
    loads = {path: _weigh(chromium, path, size, None) for path in public}
    loads |= {path: _weigh(chromium, path, size, session) for path in dashboard}
    heavy = {path: load for path, load in loads.items() if sum(load.values()) >= LIMIT}
    assert heavy == {}, heavy  # what each heavy page loaded, by address
    # The measure measures: the statement page's weight includes its stylesheet and cover.
    statement = loads[f"/s/{SLUG}/en/"]
    assert any(url.endswith("site.css") for url in statement)
    assert any("/media/pictures/" in url for url in statement)
    assert sum(statement.values()) > 40 * 1024
