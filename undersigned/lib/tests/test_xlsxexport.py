"""The .xlsx writer (lib/xlsxexport.py) read back with openpyxl: every cell text, none a
formula or an error, nothing lost or mangled, a sheet per 1,048,576 rows."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell import Cell

from undersigned.lib import xlsxexport

FORMULA_LIKE = ["=1+1", "+SUM(A1)", "@cmd", "-2+3", "=", "\uff1d1", " =1", "'=1", "#N/A", "#REF!"]


def _read(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[list[Cell]]:
    with xlsxexport.workbook(header, rows, title="Signatures") as file:
        book = load_workbook(file)
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows()]


def test_formula_and_error_like_text_comes_back_as_the_same_text() -> None:
    header, *rows = _read(["cell"], [(value,) for value in FORMULA_LIKE])
    assert [row[0].value for row in rows] == FORMULA_LIKE
    assert {row[0].data_type for row in rows} == {"s"}
    assert {row[0].number_format for row in rows} == {"@"}
    assert header[0].value == "cell"
    assert header[0].data_type == "s"


def test_digits_names_and_emoji_stay_as_they_are() -> None:
    values = ["01234", "007", "1e5", "12345678901234567890", "María José Quispe", "Ñuñoa 🌻 漢字"]
    _header, row = _read(values, [values])
    assert [cell.value for cell in row] == values
    assert {cell.data_type for cell in row} == {"s"}


def test_none_and_empty_text_are_empty_cells() -> None:
    _header, row = _read(["a", "b", "c"], [(None, "", "x")])
    assert [cell.value for cell in row] == [None, None, "x"]


def test_characters_a_sheet_cannot_hold_are_replaced_not_fatal() -> None:
    _header, row = _read(["a", "b"], [("a\x00b\x1bc", "tab\tand\nline")])
    assert [cell.value for cell in row] == ["a\ufffdb\ufffdc", "tab\tand\nline"]


def test_rows_past_a_sheets_limit_go_on_the_next_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxexport, "SHEET_ROWS", 3)
    with xlsxexport.workbook(["n"], [(str(n),) for n in range(5)], title="Signatures") as file:
        book = load_workbook(file)
    assert book.sheetnames == ["Signatures", "Signatures 2", "Signatures 3"]
    sheets = [[row[0].value for row in sheet.iter_rows()] for sheet in book.worksheets]
    assert sheets == [["n", "0", "1"], ["n", "2", "3"], ["n", "4"]]


# Any text a request or the database can hold: never a lone surrogate, which UTF-8 cannot carry.
_TEXT = st.characters(min_codepoint=32, blacklist_categories=("Cs",))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=_TEXT, max_size=12), max_size=6))
def test_any_text_comes_back_as_written(values: list[str]) -> None:
    header, *rows = _read(["n", "cell"], [(str(n), value) for n, value in enumerate(values)])
    assert [row[1].value or "" for row in rows] == values
    assert all(row[1].data_type == "s" for row in rows if row[1].value is not None)
