"""CSV downloads streamed in keyset chunks: memory stays flat however many rows there are."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

CHUNK = 2000

# fetch(last, size): up to `size` rows whose key is above `last`, ordered by it; each row is
# the key followed by the row's cells.
Fetch = Callable[[int, int], Sequence[Sequence[object]]]


def keyset_rows(header: Iterable[str], fetch: Fetch, *, lines: bool = False) -> Iterator[bytes]:
    """The header, then each chunk as CSV bytes. One short query per chunk, from where the
    last ended: no read stays open while a slow client downloads (on SQLite a long read keeps
    the WAL from being checkpointed). With `lines`, each row is the key and its whole CSV
    line, written by the database."""
    one_line = io.StringIO()
    writer = csv.writer(one_line)

    def quoted(cells: Sequence[object]) -> str:
        """The row as csv.writer writes it."""
        one_line.seek(0)
        one_line.truncate()
        writer.writerow(cells)
        return one_line.getvalue()

    text = quoted(list(header))
    for chunk in keyset_chunks(fetch):
        if lines:
            text += "".join([f"{row[1]}\r\n" for row in chunk])
        else:
            text += "".join([_line(row[1:], quoted) for row in chunk])
        yield text.encode()
        text = ""


def keyset_chunks(fetch: Fetch) -> Iterator[Sequence[Sequence[object]]]:
    """Every row `fetch` gives, CHUNK at a time, each chunk from where the last ended (the
    last chunk may be empty)."""
    size = CHUNK
    last = 0
    while True:
        chunk = fetch(last, size)
        yield chunk
        if len(chunk) < size:
            return
        last = int(chunk[-1][0])  # type: ignore[call-overload]


def _line(cells: Sequence[object], quoted: Callable[[Sequence[object]], str]) -> str:
    """One row as csv.writer writes it. Most rows are text cells that need no quoting, and
    joining them costs far less than csv.writer; any other row is left to `quoted`,
    csv.writer's own line."""
    try:
        line = ",".join(cells)  # type: ignore[arg-type]
    except TypeError:  # None or a number: csv.writer's own rules
        return quoted(cells)
    if (
        not line  # one empty cell, which csv.writer writes as ""
        or line.count(",") != len(cells) - 1
        or '"' in line
        or "\r" in line
        or "\n" in line
    ):
        return quoted(cells)
    return line + "\r\n"


def download(rows: Iterator[bytes], filename: str) -> StreamingHttpResponse:
    """A CSV attachment; like every response not marked public, no cache keeps it
    (undersigned.lib.headers)."""
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
