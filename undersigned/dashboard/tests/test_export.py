"""The signature export (dashboard/export.py): what it holds, formula cells neutralised, and the
database writing the very bytes csv.writer would; its presets, the opted-in filter and the
.xlsx read back with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.cell import Cell

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature
from undersigned.dashboard.export import CONTACT_HEADER, EXPORT_COLUMNS
from undersigned.lib import xlsxexport
from undersigned.statements.models import Signature, Statement

EXPORT = "/dashboard/s/free-them/signatures/export.csv"
OVERVIEW = "/dashboard/s/free-them/"


def _csv(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("persona", ["organiser_client", "member_client"])
def test_members_export_confirmed_signatures_with_emails(
    request: pytest.FixtureRequest, statement: Statement, persona: str
) -> None:
    make_signature(statement, 1)
    make_signature(statement, 2, state=Signature.State.PENDING)
    client: Client = request.getfixturevalue(persona)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store"
    rows = _csv(response)
    assert rows[0][:3] == ["signed_at", "confirmed_at", "state"]
    # The unconfirmed signature stays out: nobody has shown its address's owner signed.
    assert [row[6] for row in rows[1:]] == ["p1@example.org"]
    assert AuditLog.objects.filter(action="signatures.exported").count() == 1


def test_outsiders_get_404_and_see_no_email(
    statement: Statement, outsider_client: Client, client: Client
) -> None:
    make_signature(statement, 1)
    for url in (EXPORT, OVERVIEW):
        response = outsider_client.get(url)
        assert response.status_code == 404
        assert b"p1@example.org" not in response.content
        anonymous = client.get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")


def test_unknown_statement_is_404_for_members(
    organiser_client: Client, statement: Statement
) -> None:
    assert organiser_client.get("/dashboard/s/nope/").status_code == 404
    assert organiser_client.get("/dashboard/s/nope/signatures/export.csv").status_code == 404


def test_formula_cells_are_neutralised_and_quoted(
    organiser_client: Client, statement: Statement
) -> None:
    make_signature(
        statement,
        1,
        name='=HYPERLINK("http://evil.example","x")',
        organisation_name="+cmd|' /C calc'!A0",
        organisation_role="-2,3",
        postcode="@SUM(1)",
        kind="organisation",
    )
    rows = _csv(organiser_client.get(EXPORT))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["organisation"] == "'+cmd|' /C calc'!A0"
    assert row["role"] == "'-2,3"
    assert row["postcode"] == "'@SUM(1)"


# Cells that reach the export as they are when written by another path than the sign form
# (the admin, an import): the export must not rely on the form having cleaned them.
HOSTILE_CELLS = [
    '=HYPERLINK("http://evil.example","x")',
    " =1+1",
    '"=1+1',
    "'@SUM(A1)",
    "\t=1",
    "\r=1",
    "-1\n=2",
    "+1,=2",
    '@x";=y',
    "\uff1dcmd|' /C calc'!A0",
    "  \uff0d1",
]


def test_every_formula_like_cell_is_neutralised_and_the_csv_parses_back(
    organiser_client: Client, statement: Statement
) -> None:
    from undersigned.lib.csvsafe import FORMULA_START, SKIPPED_BEFORE_FORMULA

    for n, value in enumerate(HOSTILE_CELLS):
        make_signature(
            statement,
            n,
            kind="organisation",
            name=value,
            organisation_name=value,
            organisation_role=value,
            postcode=value[:16],
            email=value[:10] + f"{n}@example.org",
        )
    header, *rows = _csv(organiser_client.get(EXPORT))
    # Commas, quotes and line breaks inside cells stay inside them: one row per signature.
    assert len(rows) == len(HOSTILE_CELLS)
    for value, row in zip(HOSTILE_CELLS, rows, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["name"] == cells["organisation"] == cells["role"] == "'" + value
        assert cells["postcode"] == "'" + value[:16]
        for column in ("name", "email", "postcode", "organisation", "role"):
            assert not cells[column].lstrip(SKIPPED_BEFORE_FORMULA[:1]).startswith(FORMULA_START)
            assert cells[column].startswith("'")


def test_the_database_writes_the_csv_lines_as_csv_writer_would(
    organiser_client: Client, statement: Statement
) -> None:
    values = [
        *HOSTILE_CELLS,
        "plain",
        "comma, inside",
        'a "quoted" word',
        "two\r\nlines",
        "carriage\rreturn",
        "Ñandú Ωmega 漢字",
        " leading space",
        "",
    ]
    for n, value in enumerate(values):
        make_signature(
            statement, n, name=value or "x", organisation_name=value, postcode=value[:16]
        )
    make_signature(statement, 99, confirmed_at=None, state=Signature.State.HELD)
    body = b"".join(organiser_client.get(EXPORT).streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) == len(values) + 2
    assert rows[-1][1] == ""  # never confirmed: no time, as csv.writer writes None
    written = io.StringIO()
    csv.writer(written).writerows(rows)
    assert body == written.getvalue().encode()


def test_export_cells_have_one_format_on_every_database(
    organiser_client: Client, statement: Statement
) -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    whole = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    make_signature(statement, 2, created_at=whole, confirmed_at=None, state="rejected")
    make_signature(
        statement,
        1,
        created_at=at,
        confirmed_at=at,
        consent_at=at,
        wants_updates=True,
        state="confirmed",
    )
    header, first, second = _csv(organiser_client.get(EXPORT))
    whole_row = dict(zip(header, first, strict=True))
    row = dict(zip(header, second, strict=True))
    assert whole_row["signed_at"] == whole.isoformat() == "2026-01-02T03:04:05+00:00"
    assert whole_row["confirmed_at"] == ""
    assert row["signed_at"] == row["confirmed_at"] == row["consent_at"] == at.isoformat()
    assert row["wants_updates"] == "True"
    assert row["state"] == "confirmed"


def test_the_export_reads_in_chunks_and_misses_no_row(
    organiser_client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersigned.lib import csvexport

    monkeypatch.setattr(csvexport, "CHUNK", 3)
    for n in range(7):
        make_signature(statement, n)
    rows = _csv(organiser_client.get(EXPORT))
    assert [row[6] for row in rows[1:]] == [f"p{n}@example.org" for n in range(7)]


def test_the_database_neutralises_cells_exactly_as_csvsafe_does(
    organiser_client: Client, statement: Statement
) -> None:
    from undersigned.lib.csvsafe import neutralise

    values = [
        "=1+1",
        "+33",
        "-2",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "a=b",
        "'=x",
        "Ana",
        ' "=x',
        "  -1",
        "\uff1dA1",
        "\uff20x",
        "'\uff0b1",
        "   ",
        "",
        "O'Brien",
    ]
    for n, value in enumerate(values):
        make_signature(statement, n, name=value)
    rows = _csv(organiser_client.get(EXPORT))
    assert [row[5] for row in rows[1:]] == [neutralise(value) for value in values]


def test_every_formula_sign_and_skipped_character_reaches_the_check(
    organiser_client: Client, statement: Statement
) -> None:
    """On SQLite a GLOB on the first character picks the cells the formula check runs on: each
    sign, alone and after each skipped character, must get through it."""
    from undersigned.lib.csvsafe import FORMULA_START, SKIPPED_BEFORE_FORMULA, neutralise

    values = [sign + "1" for sign in FORMULA_START]
    values += [skipped + sign for skipped in SKIPPED_BEFORE_FORMULA for sign in FORMULA_START]
    values += ["a-b", "]x", "[x", "*x", "?x", "^=x", "\\=x", "1=1"]
    for n, value in enumerate(values):
        make_signature(statement, n, organisation_role=value)
    rows = _csv(organiser_client.get(EXPORT))
    assert [row[10] for row in rows[1:]] == [neutralise(value) for value in values]
    assert sum(row[10].startswith("'") for row in rows[1:]) == len(values) - 8


XLSX = "/dashboard/s/free-them/signatures/export.xlsx"
LIST = "/dashboard/s/free-them/signatures/"
FORMULA_CELLS = ["=1+1", "+SUM(A1)", "@cmd", "-2+3", '=HYPERLINK("http://evil.example")']


def _sheet(response: object) -> list[list[Cell]]:
    """The rows of the workbook's sheets, as openpyxl reads the file back."""
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    book = load_workbook(io.BytesIO(body))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows()]


def _values(rows: list[list[Cell]]) -> list[dict[str, object]]:
    header, *body = rows
    return [
        {str(name.value): cell.value for name, cell in zip(header, row, strict=True)}
        for row in body
    ]


def test_the_xlsx_keeps_postcodes_names_and_formula_like_text_as_text(
    organiser_client: Client, statement: Statement
) -> None:
    names = ["María José Quispe", "Ñuñoa 🌻 Ωmega 漢字", *FORMULA_CELLS, "#N/A"]
    for n, name in enumerate(names):
        make_signature(statement, n, name=name, postcode="01234", organisation_role=name)
    response = organiser_client.get(XLSX)
    assert response.status_code == 200
    assert response["Content-Type"] == xlsxexport.CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="free-them-signatures.xlsx"'
    assert response["Cache-Control"] == "no-store"
    rows = _sheet(response)
    assert [cell.value for cell in rows[0]] == [header for _field, header in EXPORT_COLUMNS]
    found = _values(rows)
    assert [row["name"] for row in found] == names
    assert [row["role"] for row in found] == names  # as they are: no leading quote
    assert {row["postcode"] for row in found} == {"01234"}
    for row in rows[1:]:
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s", cell.value
                assert cell.number_format == "@"
    assert AuditLog.objects.get(action="signatures.exported").data["format"] == "xlsx"


def test_the_xlsx_has_the_csvs_columns_rows_and_times(
    organiser_client: Client, statement: Statement
) -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    make_signature(statement, 1, created_at=at, confirmed_at=at, consent_at=at, wants_updates=True)
    make_signature(statement, 2, confirmed_at=None, state=Signature.State.HELD)
    make_signature(statement, 3, state=Signature.State.PENDING)
    from_csv = _csv(organiser_client.get(EXPORT))
    from_xlsx = [
        ["" if cell.value is None else str(cell.value) for cell in row]
        for row in _sheet(organiser_client.get(XLSX))
    ]
    assert from_xlsx == from_csv
    assert from_xlsx[1][0] == "2026-01-02T03:04:05.678901+00:00"


def test_the_contacts_preset_splits_given_names_from_surnames(
    organiser_client: Client, statement: Statement
) -> None:
    # As lib.names guesses it for "first name and initial": compound given names kept
    # together, both surnames in the last name.
    names = ["María José Quispe", "Cher", "  Ana   García   Márquez ", "=cmd Ana", "Ana -2+3"]
    for n, name in enumerate(names):
        make_signature(statement, n, name=name, postcode="01234", country="CL", wants_updates=True)
    header, *rows = _csv(organiser_client.get(EXPORT + "?preset=contacts"))
    assert header == ["first_name", "last_name", "email", "zip_code", "country", "wants_updates"]
    assert [row[:2] for row in rows] == [
        ["María José", "Quispe"],
        ["Cher", ""],
        ["Ana", "García Márquez"],
        ["'=cmd", "Ana"],  # each part neutralised once split
        ["Ana", "'-2+3"],
    ]
    assert rows[0][2:] == ["p0@example.org", "01234", "CL", "True"]
    xlsx = _sheet(organiser_client.get(XLSX + "?preset=contacts"))
    assert [cell.value for cell in xlsx[0]] == header
    assert [[cell.value for cell in row[:2]] for row in xlsx[1:]][3:] == [
        ["=cmd", "Ana"],
        ["Ana", "-2+3"],
    ]
    assert all(cell.data_type == "s" for row in xlsx[1:] for cell in row[:2] if cell.value)


def test_the_contacts_file_is_named_after_its_preset(
    organiser_client: Client, statement: Statement
) -> None:
    response = organiser_client.get(EXPORT + "?preset=contacts")
    assert "free-them-signatures-contacts.csv" in response["Content-Disposition"]
    assert AuditLog.objects.get(action="signatures.exported").data["columns"] == "contacts"


def test_only_those_who_opted_in_with_any_preset_filter_and_format(
    organiser_client: Client, statement: Statement
) -> None:
    make_signature(statement, 1, wants_updates=True)
    make_signature(statement, 2, wants_updates=False)
    make_signature(statement, 3, wants_updates=True, kind="organisation")
    make_signature(statement, 4, wants_updates=True, state=Signature.State.PENDING)
    opted_in = EXPORT + "?updates=on"
    assert [row[6] for row in _csv(organiser_client.get(opted_in))[1:]] == [
        "p1@example.org",
        "p3@example.org",
    ]
    assert [row[2] for row in _csv(organiser_client.get(opted_in + "&preset=contacts"))[1:]] == [
        "p1@example.org",
        "p3@example.org",
    ]
    combined = _values(_sheet(organiser_client.get(XLSX + "?updates=on&kind=organisation")))
    assert [row["email"] for row in combined] == ["p3@example.org"]
    everyone = _csv(organiser_client.get(EXPORT))
    assert len(everyone) == 4
    exports = AuditLog.objects.filter(action="signatures.exported").order_by("id")
    filters = [row.data["filters"] for row in exports]
    assert filters == [
        {"updates": "yes"},
        {"updates": "yes"},
        {"updates": "yes", "kind": "organisation"},
        {},
    ]


def test_the_list_offers_the_presets_and_both_formats_with_its_filters(
    organiser_client: Client, statement: Statement
) -> None:
    page = organiser_client.get(LIST + "?state=confirmed&q=Ana", headers={"accept-language": "es"})
    html = page.content.decode()
    assert 'action="/dashboard/s/free-them/signatures/export.csv"' in html
    assert 'formaction="/dashboard/s/free-them/signatures/export.xlsx"' in html
    assert '<input type="hidden" name="state" value="confirmed">' in html
    assert '<input type="hidden" name="q" value="Ana">' in html
    assert 'name="preset"' in html
    assert '<option value="contacts">Action Network / CiviCRM' in html
    assert 'name="updates"' in html


def test_an_empty_xlsx_still_has_its_header(organiser_client: Client, statement: Statement) -> None:
    rows = _sheet(organiser_client.get(XLSX + "?preset=contacts"))
    assert [[cell.value for cell in row] for row in rows] == [list(CONTACT_HEADER)]


def test_the_contacts_preset_gives_counted_signers_with_an_address_only(
    organiser_client: Client, statement: Statement
) -> None:
    states = {
        "counted": Signature.State.CONFIRMED,
        "held": Signature.State.HELD,
        "rejected": Signature.State.REJECTED,
        "approval": Signature.State.AWAITING_APPROVAL,
    }
    for n, (name, state) in enumerate(states.items()):
        make_signature(statement, n, name=f"Ana {name}", state=state)
    make_signature(statement, 9, name="Erased Person", email="", erased_at=timezone.now())
    _header, *rows = _csv(organiser_client.get(EXPORT + "?preset=contacts"))
    assert [row[:2] for row in rows] == [["Ana", "counted"]]
    xlsx = _sheet(organiser_client.get(XLSX + "?preset=contacts"))
    assert [[cell.value for cell in row[:2]] for row in xlsx[1:]] == [["Ana", "counted"]]
    # The full export still has them all, with their state.
    _header, *everything = _csv(organiser_client.get(EXPORT))
    assert len(everything) == 5
