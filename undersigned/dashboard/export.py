"""The signature export as CSV or .xlsx, with all its columns or those of a preset: the SQL that
writes its cells (and on PostgreSQL the full CSV's lines) in the database, read in chunks by
undersigned.lib.csvexport and written by it or undersigned.lib.xlsxexport. The dashboard's
export view uses it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from undersigned.lib import csvexport, names, xlsxexport
from undersigned.lib.csvexport import Fetch
from undersigned.lib.csvsafe import FORMULA_START, SKIPPED_BEFORE_FORMULA, neutralise
from undersigned.statements.models import Signature, Statement

EXPORT_COLUMNS = (
    ("created_at", "signed_at"),
    ("confirmed_at", "confirmed_at"),
    ("state", "state"),
    ("language", "language"),
    ("kind", "kind"),
    ("name", "name"),
    ("email", "email"),
    ("country", "country"),
    ("postcode", "postcode"),
    ("organisation_name", "organisation"),
    ("organisation_role", "role"),
    ("display", "display"),
    ("wants_updates", "wants_updates"),
    ("consent_version", "consent_version"),
    ("consent_at", "consent_at"),
    ("channel", "channel"),
)

_ALL_FIELDS = tuple(field for field, _header in EXPORT_COLUMNS)
# The presets of columns, by the name the export form sends.
FULL = "full"
CONTACTS = "contacts"
PRESETS = (
    (FULL, _("All columns")),
    (CONTACTS, _("Action Network / CiviCRM: first name, last name, email, postcode, country")),
)
# The contacts preset: what it reads, and its header. Action Network matches a column to its
# own field by these names (any other is matched by hand on upload); CiviCRM's import maps
# each column by hand. Neither has a column for consent: see docs/organisers.md.
CONTACT_FIELDS = ("name", "email", "postcode", "country", "wants_updates")
CONTACT_HEADER = ("first_name", "last_name", "email", "zip_code", "country", "wants_updates")


_TEXT_COLUMNS = frozenset(
    ("name", "email", "country", "postcode", "organisation_name", "organisation_role")
)
_DATETIME_COLUMNS = frozenset(("created_at", "confirmed_at", "consent_at"))
_NULLABLE = frozenset(field.name for field in Signature._meta.concrete_fields if field.null)
# A GLOB that matches text whose first character is a formula sign or one skipped before one:
# a superset of lib.csvsafe.formula_like. The hyphen goes last, where it is not a range.
_FIRST_CHARACTERS = "".join(dict.fromkeys(SKIPPED_BEFORE_FORMULA + "".join(FORMULA_START)))
_MAY_BE_A_FORMULA = "[" + _FIRST_CHARACTERS.replace("-", "") + "-]*"


def _export_sql(
    statement_id: int,
    where: tuple[str, list[Any]] = ("", []),
    fields: Sequence[str] = _ALL_FIELDS,
    *,
    neutralised: bool = True,
    lines: bool | None = None,
) -> tuple[str, list[Any]]:
    """The export as one query whose rows are the key and the CSV's cells, ready to write; on
    PostgreSQL the key and the whole CSV line. Only `fields`; the cells as they are, not
    `neutralised`, for a spreadsheet file, where text is never a formula; the rows as cells,
    not `lines`, when Python writes the lines.

    The database converts datetimes, formats and runs the formula check for a fraction of
    what each row costs in Python. A formula-like cell gets the same leading quote as
    lib.csvsafe.neutralise gives it. Fetching the cells from PostgreSQL is a large part of its
    export, so there it joins them into the line too, quoted as csv.writer quotes (test_export
    checks it writes the same bytes). SQLite is slower at that than csv.writer, so there
    Python writes the line.

    On SQLite a GLOB on the cell's first character comes before the formula check, which then
    runs only for a cell that starts with a sign or a skipped character: the GLOB costs much
    less than the check on every text cell (test_export checks every sign gets through it).
    """
    if lines is None:
        lines = _lines_by_database()
    params: list[Any] = []
    cells = []
    for field in fields:
        column = connection.ops.quote_name(field)
        if field in _TEXT_COLUMNS and neutralised:
            marks = ", ".join(["%s"] * len(FORMULA_START))
            check = (
                f"CASE WHEN substr(ltrim({column}, %s), 1, 1) IN ({marks}) "
                f"THEN %s || {column} ELSE {column} END"
            )
            check_params = [SKIPPED_BEFORE_FORMULA, *FORMULA_START, "'"]
            if connection.vendor == "sqlite":
                check = f"CASE WHEN {column} GLOB %s THEN {check} ELSE {column} END"
                check_params.insert(0, _MAY_BE_A_FORMULA)
            cells.append(check)
            params.extend(check_params)
        elif field in _DATETIME_COLUMNS:
            cell = _iso_utc(column)
            if not lines and field in _NULLABLE:
                # As csv.writer writes None; an all-text row is the quick path of csvexport.
                cell = f"coalesce({cell}, '')"
            cells.append(cell)
        elif field == "wants_updates":
            cells.append(f"CASE WHEN {column} THEN 'True' ELSE 'False' END")
        else:
            cells.append(column)
    table = connection.ops.quote_name(Signature._meta.db_table)
    condition, condition_params = where
    names = [f"c{n}" for n in range(len(cells))]
    cell_list = ", ".join(f"{cell} AS {name}" for cell, name in zip(cells, names, strict=True))
    sql = (
        f"SELECT id, {cell_list} FROM {table} "  # noqa: S608 - names from the model
        f"WHERE statement_id = %s AND state <> %s {'AND (' + condition + ')' if condition else ''}"
        " AND id > %s ORDER BY id LIMIT %s"
    )
    if lines:
        line = " || ',' || ".join(_csv_quoted(name) for name in names)
        sql = f"SELECT id, {line} FROM ({sql}) AS cells ORDER BY id"  # noqa: S608 - as above
    # Unconfirmed rows stay out: nobody has shown that their owner signed.
    return sql, [*params, statement_id, Signature.State.PENDING, *condition_params]


def where_of(rows: QuerySet[Signature]) -> tuple[str, list[Any]]:
    """The WHERE clause of a queryset on signatures alone (no joins), for export_rows."""
    query = rows.query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.where)
    return sql, list(params)


def _lines_by_database() -> bool:
    return connection.vendor == "postgresql"


def _csv_quoted(cell: str) -> str:
    """The cell as csv.writer writes it, in PostgreSQL: NULL as nothing; in double quotes, its
    own doubled, when it holds a comma, a double quote or a line break."""
    # Four plain searches cost less than one regular expression.
    found = [f"strpos({cell}, {mark})" for mark in ("','", """'"'""", "chr(13)", "chr(10)")]
    special = " + ".join(found) + " > 0"
    return (
        f"""CASE WHEN {cell} IS NULL THEN '' WHEN {special} """
        f"""THEN '"' || replace({cell}, '"', '""') || '"' ELSE {cell} END"""
    )


def _iso_utc(column: str) -> str:
    """ISO 8601 in UTC, as datetime.isoformat() writes an aware UTC datetime."""
    if connection.vendor == "postgresql":
        # Microseconds only when there are some, as isoformat() and SQLite's text have them;
        # one to_char and a replace cost less than two and a test of the microseconds.
        return (
            f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
            "'.000000', '') || '+00:00'"
        )
    # SQLite keeps UTC datetimes as text: 2026-11-23 15:00:00.123456
    return f"replace({column}, ' ', 'T') || '+00:00'"


def _contact_cells(row: Sequence[Any], *, neutralised: bool) -> tuple[object, ...]:
    """A row of the contacts preset from (key, name, email, postcode, country, wants_updates);
    formula-like cells neutralised after the name is split, where a part may start one."""
    key, name, *rest = row
    cells = (*names.split(str(name)), *rest)
    if neutralised:
        return (key, *(neutralise(cell) for cell in cells))
    return (key, *cells)


def _fetch(
    statement: Statement, rows: QuerySet[Signature] | None, preset: str, *, spreadsheet: bool
) -> tuple[list[str], Fetch, bool]:
    """(header, fetch, whether fetch gives CSV lines) of the export of the statement's
    confirmed-by-email signatures among `rows` (a filter on signatures alone) if given. For a
    `spreadsheet` the cells come as they are; for a CSV file formula-like ones neutralised."""
    if preset == CONTACTS:
        # Contacts for another tool, which subscribes whoever it is given: counted signers
        # only (not held, rejected or waiting for approval), with an address (not erased).
        contactable = (rows if rows is not None else Signature.objects.all()).filter(
            state=Signature.State.CONFIRMED, erased_at__isnull=True
        )
        rows = contactable.exclude(email="")
    where = where_of(rows) if rows is not None else ("", [])
    if preset == CONTACTS:
        sql, params = _export_sql(
            statement.pk, where, CONTACT_FIELDS, neutralised=False, lines=False
        )
        header, lines = list(CONTACT_HEADER), False
    else:
        lines = _lines_by_database() and not spreadsheet
        sql, params = _export_sql(statement.pk, where, neutralised=not spreadsheet, lines=lines)
        header = [header for _field, header in EXPORT_COLUMNS]

    def fetch(last: int, size: int) -> list[tuple[object, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, last, size])
            found: list[tuple[object, ...]] = cursor.fetchall()
        if preset == CONTACTS:
            return [_contact_cells(row, neutralised=not spreadsheet) for row in found]
        return found

    return header, fetch, lines


def export_rows(
    statement: Statement, rows: QuerySet[Signature] | None = None, preset: str = FULL
) -> Iterator[bytes]:
    """The CSV in chunks of a few thousand rows: memory stays flat however many signed. Only
    the statement's confirmed-by-email signatures among `rows` (a filter on signatures alone)
    if given."""
    header, fetch, lines = _fetch(statement, rows, preset, spreadsheet=False)
    return csvexport.keyset_rows(header, fetch, lines=lines)


def export_workbook(
    statement: Statement, rows: QuerySet[Signature] | None = None, preset: str = FULL
) -> IO[bytes]:
    """The same as export_rows as an .xlsx in a temporary file: the same columns and rows,
    each cell text as it is (a spreadsheet file keeps text from being run as a formula), the
    times as the same ISO 8601 text in UTC. Read in the same chunks, written to disk as they
    come: memory stays flat."""
    header, fetch, _lines = _fetch(statement, rows, preset, spreadsheet=True)
    cells = (row[1:] for chunk in csvexport.keyset_chunks(fetch) for row in chunk)
    return xlsxexport.workbook(header, cells, title=str(_("Signatures")))
