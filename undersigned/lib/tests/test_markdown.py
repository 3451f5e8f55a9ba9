"""Organiser Markdown: rendered to the safe subset, what is dropped said, and the HTML written
before Markdown converted to Markdown that renders the same."""

from __future__ import annotations

import pytest

from undersigned.lib.html import sanitise
from undersigned.lib.markdown import (
    dropped,
    first_picture,
    from_html,
    from_html_checked,
    render,
    render_for_email,
)

PICTURE = "/media/pictures/abcdefghij0123456789-1600x1067.jpg"


def _flat(html: str) -> str:
    return html.replace("\n", "").replace("%20", " ")


def test_paragraphs_and_line_breaks_are_kept_as_pasted() -> None:
    html = render("First line\nsecond line\n\nA new paragraph")
    assert _flat(html) == "<p>First line<br>second line</p><p>A new paragraph</p>"


def test_an_indented_line_is_a_paragraph_not_code() -> None:
    assert (
        _flat(render("    Indented by a word processor")) == "<p>Indented by a word processor</p>"
    )


def test_headings_start_below_the_page_title() -> None:
    assert _flat(render("# Demands\n\n## Why")) == "<h2>Demands</h2><h3>Why</h3>"


def test_lists_emphasis_and_links() -> None:
    html = _flat(render("- **one**\n- *two* [site](https://example.org)"))
    assert html == (
        '<ul><li><strong>one</strong></li><li><em>two</em> <a href="https://example.org" '
        'rel="nofollow noopener noreferrer">site</a></li></ul>'
    )


def test_unsafe_html_is_removed_and_said() -> None:
    text = (
        '<script>alert(1)</script>\n\n<p style="color:red" onclick="steal()">Hi</p>\n\n'
        "<iframe src=https://tracker.example></iframe>"
    )
    html = render(text)
    assert "script" not in html and "onclick" not in html and "iframe" not in html
    assert "<p>Hi</p>" in html
    assert dropped(text) == ["<script>", 'style="…"', 'onclick="…"', "<iframe>"]


def test_a_picture_from_elsewhere_is_removed_and_said() -> None:
    text = "Look ![a tracking pixel](https://tracker.example/t.gif)"
    assert "tracker" not in render(text) and "<img" not in render(text)
    assert dropped(text) == ["https://tracker.example/t.gif"]
    raw = '<img src="https://tracker.example/u.gif" alt="x">'
    assert "<img" not in render(raw) and dropped(raw) == ["https://tracker.example/u.gif"]


def test_a_picture_of_the_site_gets_its_sizes_and_its_credit_as_caption() -> None:
    html = render(f'![A crowd in the square]({PICTURE} "Photo: Ana Q.")')
    assert (
        html.startswith("<figure><picture><source ")
        and "<figcaption>Photo: Ana Q.</figcaption>" in html
    )
    assert 'alt="A crowd in the square"' in html and 'width="1600" height="1067"' in html
    assert "abcdefghij0123456789-480x320.jpg 480w" in html
    assert "abcdefghij0123456789-960x640.jpg 960w" in html
    assert dropped(f"![x]({PICTURE})") == []
    # Inline, without a title: a picture within the paragraph.
    assert _flat(render(f"Before ![x]({PICTURE}) after")).startswith("<p>Before <picture>")


def test_nothing_dropped_from_plain_markdown() -> None:
    assert dropped("# Title\n\nText with **bold**, a [link](https://example.org).\n\n> quote") == []


HTML_SAMPLES = [
    '<p>Hello <strong>world</strong> &amp; <a href="https://example.org/a b">a link</a></p>',
    "<h2>Demands</h2><ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>",
    "<ol><li>first</li><li>second</li></ol><p>after the list</p>",
    "<blockquote><p>first</p><p>second</p></blockquote><p>after</p>",
    "<p>line<br>break with *stars*, _underscores_, [brackets] and a # sign</p>",
    "<p>- not a list</p><p>2024. A year, not a list</p><p># not a heading</p>",
    "<h3>Small</h3><h4>Smaller</h4><p>&lt;b&gt;shown as text&lt;/b&gt; &amp;copy;</p>",
    "<p><em>emphasis</em> and <i>italic</i> and <b>bold</b></p>",
]


@pytest.mark.parametrize("html", HTML_SAMPLES)
def test_html_written_before_markdown_renders_the_same_once_converted(html: str) -> None:
    markdown = from_html(html)
    assert "<" not in markdown.replace("\\<", "").replace("(<", "").replace("<http", "")
    expected = _flat(sanitise(html)).replace("<b>", "<strong>").replace("</b>", "</strong>")
    expected = expected.replace("<i>", "<em>").replace("</i>", "</em>")
    assert _flat(render(markdown)) == expected


def test_converting_drops_what_the_sanitiser_dropped() -> None:
    assert from_html("<p>ok</p><script>bad()</script>") == "ok\n"


def test_in_an_email_addresses_are_absolute_and_pictures_plain() -> None:
    html = render_for_email(
        f'See [the statement](/s/free-them/en/).\n\n![A crowd]({PICTURE} "Photo: Ana Q.")',
        "https://sign.example.org",
    )
    assert 'href="https://sign.example.org/s/free-them/en/"' in html
    assert (
        '<img src="https://sign.example.org/media/pictures/abcdefghij0123456789-960x640.jpg" '
        'alt="A crowd" width="600" height="400" style="max-width: 100%; height: auto;">'
    ) in html
    assert "webp" not in html and "srcset" not in html and "<source" not in html
    assert "<figcaption>Photo: Ana Q.</figcaption>" in html
    assert 'href="https://elsewhere.example/"' in render_for_email(
        "[x](https://elsewhere.example/)", "https://sign.example.org"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<ul><li><p>one</p></li><li><p>two</p></li></ul>",  # a loose list, from a word processor
        "<p><strong>bold </strong>text and <strong>Note:</strong>text</p>",
        '<p><a href="https://example.org/a&lt;b&gt;c\\d e">odd address</a> a&nbsp;b</p>',
        "<ol><li>a</li></ol><ol><li>b</li></ol>",
        '<p>said<strong>"no"</strong>today, <em>a</em><em>b</em></p>',
        *HTML_SAMPLES,
    ],
)
def test_the_migration_never_changes_what_readers_see(html: str) -> None:
    kept = from_html_checked(html)
    expected = _flat(sanitise(html)).replace("<b>", "<strong>").replace("</b>", "</strong>")
    expected = expected.replace("<i>", "<em>").replace("</i>", "</em>")
    assert _flat(render(kept)) == expected


def test_a_link_address_with_angle_brackets_stays_one_link() -> None:
    markdown = from_html('<p><a href="https://example.org/a<b>c">x</a></p>')
    assert _flat(render(markdown)) == (
        '<p><a href="https://example.org/a%3Cb%3Ec" rel="nofollow noopener noreferrer">x</a></p>'
    )


def test_a_picture_with_no_size_does_not_break_an_email() -> None:
    html = render_for_email(
        f'<img src="{PICTURE}" width="0" height="5" alt="x">',
        "https://sign.example.org",
    )
    assert 'src="https://sign.example.org/media/pictures/' in html and 'width="0"' not in html


def test_the_first_picture_is_the_first_of_the_sites_own() -> None:
    text = f'News.\n\n![elsewhere](https://tracker.example/a.jpg)\n\n![A crowd]({PICTURE} "Ana")'
    assert first_picture(text) == (PICTURE, "A crowd")
    assert first_picture("No picture here.") is None
