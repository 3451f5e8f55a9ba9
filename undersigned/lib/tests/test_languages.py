from __future__ import annotations

import pytest

from undersigned.lib.languages import direction, normalise_tag, ui_language


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("EN", "en"),
        ("es-419", "es-419"),
        ("qu", "qu"),
        ("ay", "ay"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("pt_br", "pt-BR"),
        ("e", None),
        ("english!", None),
        ("", None),
        ("en--gb", None),
    ],
)
def test_it_accepts_any_bcp47_tag(tag: str, expected: str | None) -> None:
    assert normalise_tag(tag) == expected


def test_direction_follows_the_script() -> None:
    assert direction("ar") == "rtl"
    assert direction("he-IL") == "rtl"
    assert direction("qu") == "ltr"


def test_interface_falls_back_to_a_translated_language() -> None:
    assert ui_language("es-419") == "es"
    assert ui_language("qu", "es") == "es"
    assert ui_language("qu", "ay") == "en"
