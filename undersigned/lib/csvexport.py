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
    size = CHUNK
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    last = 0
    while True:
        chunk = fetch(last, size)
        if lines:
            buffer.write("".join([f"{row[1]}\r\n" for row in chunk]))
        else:
            writer.writerows(row[1:] for row in chunk)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if len(chunk) < size:
            return
        last = int(chunk[-1][0])  # type: ignore[call-overload]


def download(rows: Iterator[bytes], filename: str) -> StreamingHttpResponse:
    """A CSV attachment that no cache keeps (it holds personal data)."""
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
