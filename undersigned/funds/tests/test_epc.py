"""The EPC QR code's payload (EPC069-12 version 002), to the character, and its limits; the
code as drawn decodes to it."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from undersigned.funds.epc import MAX_AMOUNT, epc_payload, qr_svg


def decode_qr_svg(svg: str) -> str:
    """The text of a QR code drawn as segno draws SVG (a quiet zone, then one path of
    horizontal runs: M, m and h, at a scale), as a scanner reads it."""
    found = re.search(r'<svg[^>]*\swidth="(\d+)"[^>]*\sheight="(\d+)"', svg)
    assert found, svg[:200]
    width, height = int(found[1]), int(found[2])
    scale_found = re.search(r'transform="scale\((\d+)\)"', svg)
    scale = int(scale_found[1]) if scale_found else 1
    paths = re.findall(r'<path[^>]*\sstroke="#000"[^>]*\sd="([^"]+)"', svg)
    assert len(paths) == 1, svg[:400]
    image = Image.new("L", (width * 2, height * 2), 255)
    pen = ImageDraw.Draw(image)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", paths[0]):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            end = x + float(a)
            top = (y - 0.5) * scale * 2
            pen.rectangle((x * scale * 2, top, end * scale * 2 - 1, top + scale * 2 - 1), fill=0)
            x = end
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1, "no QR code read"
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(codes[0].text)


def test_the_payload_is_the_standards_lines() -> None:
    payload = epc_payload(
        name="Red Estudiantil",
        iban="DE89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
        amount=2550,
        reference="U7K3XM9P",
    )
    assert payload == (
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\nRed Estudiantil\nDE89370400440532013000\nEUR25.50"
        "\n\n\nU7K3XM9P"
    )


def test_without_an_amount_or_a_bic_their_lines_stay_empty() -> None:
    for amount in (None, 0):
        payload = epc_payload(
            name="Red", iban="FR7630006000011234567890189", amount=amount, reference="U2"
        )
        assert payload == "BCD\n002\n1\nSCT\n\nRed\nFR7630006000011234567890189\n\n\n\nU2"
        assert len(payload.split("\n")) == 11


def test_whole_and_small_amounts_have_two_decimals() -> None:
    assert epc_payload(name="R", iban="X", amount=1).split("\n")[7] == "EUR0.01"
    assert epc_payload(name="R", iban="X", amount=5000).split("\n")[7] == "EUR50.00"
    assert epc_payload(name="R", iban="X", amount=MAX_AMOUNT).split("\n")[7] == "EUR999999999.99"


@pytest.mark.parametrize("amount", [MAX_AMOUNT + 1, -1])
def test_an_amount_out_of_the_standards_range_is_refused(amount: int) -> None:
    with pytest.raises(ValueError):
        epc_payload(name="R", iban="X", amount=amount)


def test_the_name_is_cut_to_70_characters_and_the_reference_to_140() -> None:
    payload = epc_payload(name="Ñ" * 80, iban="X", reference="R" * 200).split("\n")
    assert payload[5] == "Ñ" * 70
    assert payload[10] == "R" * 140


def test_the_drawn_code_reads_as_the_payload() -> None:
    payload = epc_payload(
        name="Coordinadora Solidaria", iban="ES9121000418450200051332", amount=2000, reference="UA"
    )
    svg = qr_svg(payload, "EPC QR code")
    assert 'role="img"' in svg and 'aria-label="EPC QR code"' in svg
    assert decode_qr_svg(svg) == payload
