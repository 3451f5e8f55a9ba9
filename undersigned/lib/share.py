"""Share links for a page, as the statement page, the thank-you page and the dashboard's
sources show them."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def share_links(url: str, text: str) -> list[tuple[str, str]]:
    """Plain links to each service's own share page: no script or image of theirs is loaded."""
    both = f"{text} {url}"
    return [
        ("email", "mailto:?" + urlencode({"subject": text, "body": url}, quote_via=quote)),
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": both})),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": both})),
        ("Telegram", "https://t.me/share/url?" + urlencode({"url": url, "text": text})),
        ("X", "https://x.com/intent/post?" + urlencode({"text": text, "url": url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
    ]
