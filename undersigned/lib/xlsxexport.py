"""Spreadsheet (.xlsx) downloads: every cell text, none a formula, memory flat however many
rows there are."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING

from django.http import FileResponse

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Rows a sheet holds in Excel and LibreOffice; the rows past it go on a further sheet.
SHEET_ROWS = 1_048_576
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(header: Sequence[str], rows: Iterable[Sequence[object]], title: str) -> IO[bytes]:
    """The rows under the header as an .xlsx, in a temporary file at its start (deleted when
    closed). openpyxl's write-only mode writes each row to disk as it comes, and the archive
    is compressed from there. Each cell is stored as text (a string with the '@' format), so
    '01234' keeps its zero, '=1+1' is not a formula and '#N/A' not an error; None and '' are
    left empty."""
    # Imported here, not with the module: a web worker that never makes a spreadsheet does
    # not carry openpyxl.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet, text = _sheet(book, title, header)
    filled = 1
    for row in rows:
        if filled == SHEET_ROWS:
            sheet, text = _sheet(book, title, header)
            filled = 1
        sheet.append([text(cell) for cell in row])
        filled += 1
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that sends it
    book.save(out)
    out.seek(0)
    return out


def _sheet(
    book: Workbook, title: str, header: Sequence[str]
) -> tuple[WriteOnlyWorksheet, Callable[[object], Cell | None]]:
    """A new sheet with the header, and what makes a text cell of a value on it."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    number = len(book.worksheets) + 1
    sheet: WriteOnlyWorksheet = book.create_sheet(title if number == 1 else f"{title} {number}")

    def text(value: object) -> Cell | None:
        if value is None or value == "":
            return None
        # Control characters other than tab and line breaks cannot be stored in the file.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))
        # openpyxl takes text starting with "=" for a formula, "#N/A" and the like for errors.
        cell.data_type = "s"
        cell.number_format = "@"
        return cell

    sheet.append([text(name) for name in header])
    return sheet, text


def download(workbook: IO[bytes], filename: str) -> FileResponse:
    """An .xlsx attachment, read from the file in blocks; like every response not marked
    public, no cache keeps it (undersigned.lib.headers)."""
    response = FileResponse(workbook, as_attachment=True, filename=filename)
    response["Content-Type"] = CONTENT_TYPE
    return response
