"""No email address in any public response: every page, feed, calendar, image and JSON a
visitor can reach from the home page of the demo (signers, attendees, donors and commenters
all gave one), in both languages, read as a visitor would, by following every link."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.core.management import call_command
from django.test import Client

from undersigned.comments.models import Comment
from undersigned.statements.demo import SLUG

# Anything that looks like an address, escaped or not (&#64; and %40 included).
ADDRESS = re.compile(r"[\w.+-]+(?:@|&#64;|&#x40;|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# What a visitor's crawl does not follow: the organisers' side, the demo's own mailbox (it
# shows emails, to the machine's own browser only), the language switch (a POST).
SKIPPED = ("/dashboard/", "/admin/", "/accounts/", "/demo/mailbox/", "/i18n/", "/csp-report/")
TEXT_TYPES = ("text/", "application/json", "application/feed+json", "application/atom+xml")
MOST_PAGES = 600
# Words of the demo's comments, each of which the crawl must have read: on the statement in
# each language, the organisers' answer, on the update.
COMMENTS = ("Solidarity from Lagos", "las familias lo leemos", "keep sharing", "el sábado")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.found.append(value)


def _links(base: str, body: str) -> list[str]:
    parser = _Links()
    parser.feed(body)
    links = []
    for link in parser.found:
        url = urldefrag(urljoin(base, link)).url
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not path.startswith(SKIPPED):
            links.append(path)
    return links


def test_no_public_response_holds_an_email_address(db: None) -> None:
    call_command("load_demo", verbosity=0)
    # The demo's comments were all confirmed from an address.
    assert Comment.objects.exclude(email="").filter(state=Comment.State.PUBLISHED).count() >= 3
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    queue = deque(["/", f"/s/{SLUG}/en/", f"/s/{SLUG}/es/"])
    seen = set(queue)
    read = []
    comments_read = set()
    while queue and len(read) < MOST_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302, 303):
            target = response["Location"]
            if target not in seen and not urlsplit(target).netloc:
                seen.add(target)
                queue.append(target)
            continue
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(TEXT_TYPES) and "svg" not in content_type:
            continue
        body = response.content.decode("utf-8", "replace")
        if "calendar" in content_type:
            # An event's UID is written as an address of the site's (RFC 5545 suggests it).
            body = re.sub(r"^UID:.*$", "", body, flags=re.MULTILINE)
        read.append(path)
        comments_read.update(words for words in COMMENTS if words in body)
        found = ADDRESS.findall(body)
        assert not found, f"{path} shows {found}"
        if "html" in content_type:
            for link in _links(path, body):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    # The crawl reached the pages that show people: comments in both languages, the
    # signatories, an update, an event and the fund, with the feeds.
    assert len(read) < MOST_PAGES, "the crawl stopped before reading every page"
    wanted = ("/comments/", "/signatories/", "/updates/", "/e/", "/f/", ".atom", ".ics")
    for part in wanted:
        assert any(part in path for path in read), f"no page with {part} was read"
    assert comments_read == set(COMMENTS)
