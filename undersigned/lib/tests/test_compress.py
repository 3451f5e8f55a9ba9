"""Organisers' pages are compressed for browsers that take gzip; public pages are not."""

from __future__ import annotations

import gzip

from django.test import Client

from undersigned.statements.models import Statement


def test_a_dashboard_page_is_compressed(organiser_client: Client, statement: Statement) -> None:
    response = organiser_client.get("/dashboard/s/free-them/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert b"free-them" in gzip.decompress(response.content)
    plain = organiser_client.get("/dashboard/s/free-them/")
    assert not plain.has_header("Content-Encoding")


def test_a_page_that_shows_what_was_asked_is_not(
    organiser_client: Client, statement: Statement
) -> None:
    # A search shows the words searched beside the signers' addresses: no length to measure.
    searched = organiser_client.get(
        "/dashboard/s/free-them/signatures/?q=ana", HTTP_ACCEPT_ENCODING="gzip"
    )
    assert searched.status_code == 200 and not searched.has_header("Content-Encoding")


def test_a_public_page_is_not(client: Client, statement: Statement) -> None:
    response = client.get("/s/free-them/en/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")


def test_a_spreadsheet_compressed_already_is_sent_as_it_is(
    organiser_client: Client, statement: Statement
) -> None:
    response = organiser_client.get(
        "/dashboard/s/free-them/signatures/export.xlsx", HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"PK")  # a zip, as every .xlsx is
