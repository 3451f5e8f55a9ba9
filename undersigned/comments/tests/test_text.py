"""A comment's text as pages show it (escaped, paragraphs, web addresses made inert links), and
what the moderation rules look for in it."""

from __future__ import annotations

import re

import pytest

from undersigned.comments.text import badge_colour, has_link, initials, matched_words, render

REL = 'rel="nofollow ugc noopener noreferrer"'


def _links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


def test_markup_is_shown_as_typed_never_run() -> None:
    html = render("<script>alert(1)</script> <img src=x onerror=alert(1)> & co")
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &amp; co</p>"
    )


def test_quotes_cannot_leave_an_attribute() -> None:
    html = render("x\"onmouseover='alert(1)' https://example.org/\"onclick=alert(1)")
    assert _links(html) == ["https://example.org/"]
    assert '"onmouseover' not in html and "'alert" not in html
    assert "&quot;onmouseover=&#x27;alert(1)&#x27;" in html
    assert "&quot;onclick=alert(1)" in html
    # The only tags are the paragraph and the link.
    assert set(re.findall(r"</?(\w+)", html)) == {"p", "a"}


def test_blank_lines_make_paragraphs_and_line_breaks_stay() -> None:
    text = "First line\nsecond line\r\n\r\n\r\nNext paragraph\n  \nLast"
    assert render(text) == "<p>First line<br>second line</p><p>Next paragraph</p><p>Last</p>"
    assert render("  \n\n ") == ""


@pytest.mark.parametrize(
    ("text", "href", "shown"),
    [
        ("https://example.org/path?a=1", "https://example.org/path?a=1", None),
        ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG", None),
        ("www.example.org/news", "https://www.example.org/news", "www.example.org/news"),
    ],
)
def test_web_addresses_in_full_become_links_search_engines_do_not_follow(
    text: str, href: str, shown: str | None
) -> None:
    html = render(f"Read {text} today")
    assert html == f'<p>Read <a href="{href}" {REL}>{shown or text}</a> today</p>'


def test_an_ampersand_in_an_address_is_escaped_in_the_link_too() -> None:
    html = render("https://example.org/?a=1&b=<2>")
    assert _links(html) == ["https://example.org/?a=1&amp;b="]
    assert html.endswith("&lt;2&gt;</p>")


@pytest.mark.parametrize(
    ("text", "href", "after"),
    [
        ("See https://example.org/a.", "https://example.org/a", ".</p>"),
        ("See https://example.org/a, then", "https://example.org/a", ", then</p>"),
        ("Is it https://example.org/a?!", "https://example.org/a", "?!</p>"),
        ("(see https://example.org/a)", "https://example.org/a", ")</p>"),
        ("(see www.example.org).", "https://www.example.org", ").</p>"),
        (
            "On https://en.wikipedia.org/wiki/Arequipa_(city).",
            "https://en.wikipedia.org/wiki/Arequipa_(city)",
            ".</p>",
        ),
        (
            "(On https://en.wikipedia.org/wiki/Arequipa_(city))",
            "https://en.wikipedia.org/wiki/Arequipa_(city)",
            ")</p>",
        ),
        ('"https://example.org/a"', "https://example.org/a", "&quot;</p>"),
    ],
)
def test_punctuation_after_an_address_ends_the_sentence_not_the_address(
    text: str, href: str, after: str
) -> None:
    html = render(text)
    assert _links(html) == [href]
    assert html.endswith(f"</a>{after}")


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "ftp://example.org/file",
        "mailto:ana@example.org",
        "example.org",
        "http://",
        "www.",
    ],
)
def test_nothing_but_web_addresses_is_linked(text: str) -> None:
    assert "<a " not in render(f"Try {text} now")


def test_a_javascript_address_is_never_a_link_even_wrapped_around_a_web_one() -> None:
    for text in ("javascript://www.example.org/%0aalert(1)", "javascript:https://x.org"):
        for href in _links(render(text)):
            assert href.startswith(("https://", "http://"))


@pytest.mark.parametrize(
    "text",
    ["ana@example.org", "write to ana@example.org.", "ana@www.example.org", "ana@http://x.org"],
)
def test_email_addresses_are_never_linked(text: str) -> None:
    assert "<a " not in render(text)


@pytest.mark.parametrize("text", ["x.www.example.org", "mi-www.example.org", "xhttps://x.org"])
def test_no_link_goes_to_part_of_a_longer_name(text: str) -> None:
    assert "<a " not in render(f"See {text}")


@pytest.mark.parametrize(
    "text",
    [
        "Read https://example.org",
        "Read http://example.org/a",
        "Read www.example.org",
        "Read example.com today",
        "Go to bit.ly/3xYz",
        "Visit noticias.pe/hoy",
        "Write to ana@example.org",
        "Write to ana.garcia+march@correo.example",
        "HTTPS://EXAMPLE.ORG",
    ],
)
def test_a_link_is_anything_a_reader_could_follow(text: str) -> None:
    assert has_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "We are with you. All of us.",
        "Mr. Smith, e.g. the miners",
        "The end.Then we march",
        "12.5% of workers",
        "",
    ],
)
def test_sentences_are_not_links(text: str) -> None:
    assert not has_link(text)


def test_listed_words_match_whatever_the_case_and_accents() -> None:
    words = ["asesino", "Cerdo", "mala gente"]
    assert matched_words("¡ASESINÓ! Eres un cerdo.", words) == ["asesino", "Cerdo"]
    assert matched_words("Son MALA   gente", words) == ["mala gente"]
    assert matched_words("die Straße", ["strasse"]) == ["strasse"]


def test_listed_words_match_whole_words_only() -> None:
    assert matched_words("pigeon, spigot, pigs", ["pig"]) == []
    assert matched_words("a pig.", ["pig"]) == ["pig"]
    assert matched_words("mala gentecita", ["mala gente"]) == []


def test_blank_lines_of_the_list_match_nothing() -> None:
    assert matched_words("any words at all", ["", "  ", "\u0301"]) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ana García", "AG"),
        ("ana maría de la o", "AO"),
        ("Ñusta", "Ñ"),
        ("  Élise   ", "É"),
        ("🙂 ana", "A"),
        ("🙂", "?"),
        ("", "?"),
        ("李 小龙", "李小"),
    ],
)
def test_the_badge_is_the_first_letters_of_the_first_and_last_words(
    name: str, expected: str
) -> None:
    assert initials(name) == expected


def test_the_badge_colour_is_the_names_own_every_time() -> None:
    assert badge_colour("Ana García") == badge_colour("ANA GARCÍA")
    colours = {badge_colour(f"Person {n}") for n in range(50)}
    assert len(colours) > 3
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in colours)
