from __future__ import annotations

from undersigned.lib.html import sanitise


def test_it_keeps_paragraphs_headings_lists_and_links() -> None:
    text = '<h2>T</h2><p>a <strong>b</strong></p><ul><li>x</li></ul><a href="https://e.org">l</a>'
    clean = sanitise(text)
    for fragment in ("<h2>T</h2>", "<strong>b</strong>", "<ul><li>x</li></ul>"):
        assert fragment in clean
    assert 'href="https://e.org"' in clean
    assert 'rel="nofollow noopener noreferrer"' in clean


def test_it_removes_scripts_images_handlers_and_javascript_links() -> None:
    text = (
        '<script>alert(1)</script><img src="https://evil.example/x.png">'
        '<p onclick="x()">p</p><a href="javascript:alert(1)">j</a>'
        '<iframe src="https://evil.example"></iframe><style>p{}</style>'
    )
    clean = sanitise(text)
    for banned in ("<script", "<img", "onclick", "javascript:", "<iframe", "<style", "evil"):
        assert banned not in clean
    assert "<p>p</p>" in clean


def test_sanitising_is_stable() -> None:
    once = sanitise('<p>x <a href="http://a.example">y</a></p><h1>big</h1>')
    assert sanitise(once) == once
