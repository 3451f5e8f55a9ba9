from __future__ import annotations

import pytest

from undersigned.lib.languages import (
    direction,
    normalise_tag,
    og_locale,
    ui_language,
    version_in,
)


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


class _Version:
    def __init__(self, language: str) -> None:
        self.language = language


def test_a_version_is_the_languages_else_the_default_else_any() -> None:
    en, es, qu = _Version("en"), _Version("es"), _Version("qu")
    assert version_in([en, es, qu], "qu", "es") is qu
    assert version_in([en, es, qu], "fr", "es") is es
    assert version_in([en, qu], "fr", "es") is en
    assert version_in([en, es], None, "es") is es
    assert version_in([], "es", "es") is None


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("es-PE", "es_PE"),
        ("en-GB", "en_GB"),
        ("zh-Hant-TW", "zh_TW"),
        ("es", "es_ES"),
        ("en", "en_US"),
        ("pt", "pt_BR"),
        ("qu", "qu_PE"),
        ("ay", "ay_BO"),
        ("zh-Hant", "zh_TW"),
        ("es-419", "es_LA"),
        ("nah", "nah"),
    ],
)
def test_og_locale_is_language_and_territory(tag: str, expected: str) -> None:
    assert og_locale(tag) == expected


def test_og_locale_takes_the_campaigns_country_where_the_tag_names_none() -> None:
    assert og_locale("es", "PE") == "es_PE"
    assert og_locale("qu", "bo") == "qu_BO"
    # Not where nobody has such a locale: English in Peru is the language's likely region's.
    assert og_locale("en", "PE") == "en_US"
    # The tag's own region comes first.
    assert og_locale("es-MX", "PE") == "es_MX"


def test_a_languages_own_name_is_composed_text() -> None:
    import unicodedata

    from undersigned.lib.languages import own_name

    name = own_name("vi")
    assert name == "Tiếng Việt"
    assert unicodedata.is_normalized("NFC", name)
