from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.lib import csvexport


def _as_csv_writer_writes(header: list[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _exported(header: list[str], rows: Sequence[Sequence[object]], size: int = 3) -> bytes:
    """keyset_rows over `rows`, keyed 1, 2, 3… and fetched `size` at a time."""
    keyed = [(key, *row) for key, row in enumerate(rows, start=1)]

    def fetch(last: int, limit: int) -> list[tuple[object, ...]]:
        return [row for row in keyed if int(row[0]) > last][:limit]  # type: ignore[call-overload]

    original = csvexport.CHUNK
    csvexport.CHUNK = size
    try:
        return b"".join(csvexport.keyset_rows(header, fetch))
    finally:
        csvexport.CHUNK = original


ROWS: list[tuple[object, ...]] = [
    ("Ana", "ana@example.org", "ES"),
    ("Smith, John", "j@example.org", ""),  # a comma: quoted
    ('say "no"', "q@example.org", ""),  # a double quote: quoted, doubled
    ("two\r\nlines", "l@example.org", ""),
    ("cr\ronly", "c@example.org", ""),
    ("lf\nonly", "n@example.org", ""),
    ("", "", ""),
    (None, "none@example.org", None),  # None: written as nothing
    (1, 2.5, True),  # not text: csv.writer's str()
    ("Ñandú 漢字 \u2028", " spaced ", "\t"),  # nothing csv.writer quotes
    ("a\x00b", "nul", "x"),
]


def test_rows_are_written_as_csv_writer_writes_them() -> None:
    header = ["name", "email", "country"]
    assert _exported(header, ROWS) == _as_csv_writer_writes(header, ROWS)


def test_a_row_of_one_empty_cell_is_written_as_csv_writer_writes_it() -> None:
    # csv.writer writes "" for it, so that it reads back as a row with one cell.
    rows: list[tuple[object, ...]] = [("",), ("x",), ("",)]
    assert (
        _exported(["only"], rows)
        == _as_csv_writer_writes(["only"], rows)
        == (b'only\r\n""\r\nx\r\n""\r\n')
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(), st.text(max_size=8)),
            st.text(alphabet=st.sampled_from(',"\r\na \u00e9'), max_size=6),
            st.text(max_size=8),
        ),
        max_size=8,
    )
)
def test_any_rows_are_written_as_csv_writer_writes_them(rows: list[tuple[object, ...]]) -> None:
    header = ["a", "b", "c"]
    assert _exported(header, rows) == _as_csv_writer_writes(header, rows)


@pytest.mark.parametrize("size", [1, 2, 100])
def test_every_row_comes_once_in_order_whatever_the_chunk(size: int) -> None:
    header = ["name", "email", "country"]
    assert _exported(header, ROWS, size) == _as_csv_writer_writes(header, ROWS)
