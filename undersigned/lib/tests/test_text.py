from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.lib.text import NameProblem, clean_line, name_problem

BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + [
    "\u200e",
    "\u200f",
    "\u061c",
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e"]


@pytest.mark.parametrize("invisible", BIDI_CONTROLS + ZERO_WIDTH)
def test_bidirectional_controls_and_zero_width_characters_are_removed(invisible: str) -> None:
    assert clean_line(f"{invisible}Ana{invisible} Gar{invisible}cía{invisible}") == "Ana García"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\t", "\r", "\n"])
def test_control_characters_become_single_spaces(control: str) -> None:
    assert clean_line(f"Ana{control}García") == "Ana García"
    assert clean_line(f"{control}Ana  {control} García{control}") == "Ana García"


def test_leading_tab_and_carriage_return_are_stripped_as_whitespace() -> None:
    assert clean_line("\t\r=1") == "=1"  # then refused as a formula by name_problem
    assert clean_line("\tAna") == "Ana"


def test_other_whitespace_folds_to_one_space() -> None:
    assert clean_line("Ana\u00a0\u3000\u2028García") == "Ana García"


def test_names_are_nfc_normalised() -> None:
    decomposed = "Jose\u0301 Mun\u0303oz"
    assert clean_line(decomposed) == "José Muñoz"
    assert unicodedata.is_normalized("NFC", clean_line(decomposed))


def test_an_accent_separated_by_a_removed_character_is_composed() -> None:
    assert clean_line("Jose\u200b\u0301") == "Jos\u00e9"


def test_letters_of_every_script_are_kept() -> None:
    for name in ("Ана Иванова", "محمد علي", "李小龙", "Nguyễn Thị Minh", "Ñusta Quispe"):
        assert clean_line(name) == name


@pytest.mark.parametrize(
    "value",
    [
        "http://evil.example",
        "Ana https://x",
        "HTTPS://EXAMPLE.ORG",
        "ftp://files",
        "javascript://x",
        "www.example",
        "Visit WWW.Example",
        "example.com",
        "Ana García example.org",
        "bit.ly/abc",
        "t.co/x",
        "ana@example.net",
        "sindicato.info",
        "xn--bcher-kva.de",
        "Ana (evil.xyz)",
    ],
)
def test_addresses_are_refused(value: str) -> None:
    assert name_problem(value) is NameProblem.ADDRESS


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+34 600",
        "-Ana",
        "@ana",
        '"=HYPERLINK(1)"',
        "'@x",
        "\uff1dSUM(A1)",
        "\uff20ana",
    ],
)
def test_what_a_spreadsheet_would_run_is_refused(value: str) -> None:
    assert name_problem(value) is NameProblem.FORMULA


@pytest.mark.parametrize(
    "value",
    ["Ana =?utf-8?q?=0D=0ABcc:_x?=", "=?UTF-8?B?QW5h?=", "Ana=?iso-8859-1?Q?Garc=EDa?="],
)
def test_mime_encoded_words_are_refused(value: str) -> None:
    assert name_problem(value) is NameProblem.ENCODED


@pytest.mark.parametrize(
    "value",
    [
        "Ana García",
        "Ana ?= García",
        "J.R.R. Tolkien",
        "U.S. Campaign for Palestinian Rights",
        "Ana M.de la Cruz",
        "Ma.Luisa Pérez",
        "Dr. Ana López",
        "St. John's Union",
        "Ana-María O'Neil",
        "Smith & Co.",
        "Ana @ Valmora",
        "1+1 Collective",
        "Secretary-General",
        "Amnesty Int.",
        "李小龙",
    ],
)
def test_ordinary_names_pass(value: str) -> None:
    assert name_problem(value) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_cleaned_line_is_one_printable_nfc_line_and_cleaning_again_changes_nothing(
    value: str,
) -> None:
    line = clean_line(value)
    assert clean_line(line) == line
    assert unicodedata.is_normalized("NFC", line)
    assert line == line.strip()
    assert "  " not in line
    assert not any(unicodedata.category(char) in ("Cc", "Cf") for char in line)
