"""The EPC QR code (European Payments Council, EPC069-12, version 002): a SEPA credit transfer
a donor scans with a banking app, which fills in the account, the amount and the reference.

The payload is plain text, one field a line, in UTF-8 (character set 1): the service tag, the
version, the character set, the identification (SCT), the BIC (optional within the EEA since
version 002), the beneficiary's name (at most 70 characters), the IBAN, the amount in euros
("EUR12.50", or nothing for the payer to fill in), the purpose, the structured reference (both
left empty) and the unstructured remittance information (the reference to quote, at most 140).
The code is drawn with error correction level M, as the standard asks.
"""

from __future__ import annotations

import io

import segno
from django.utils.html import escape

# EPC069-12: at most 999,999,999.99 euros, in cents here.
MAX_AMOUNT = 99_999_999_999
MAX_NAME = 70
MAX_REMITTANCE = 140


def epc_payload(
    *, name: str, iban: str, bic: str = "", amount: int | None = None, reference: str = ""
) -> str:
    """The text of an EPC QR code for a transfer to `iban` in the name of `name`: `amount` in
    euro cents (None or 0 leaves it to the payer), `reference` as the unstructured remittance
    information. ValueError for an amount the standard does not allow."""
    if amount is not None and not 0 <= amount <= MAX_AMOUNT:
        raise ValueError("EPC069-12 takes 0.01 to 999999999.99 euros")
    euros = f"EUR{amount // 100}.{amount % 100:02d}" if amount else ""
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        "".join(bic.split()).upper(),
        " ".join(name.split())[:MAX_NAME],
        "".join(iban.split()).upper(),
        euros,
        "",
        "",
        " ".join(reference.split())[:MAX_REMITTANCE],
    ]
    return "\n".join(lines)


def qr_svg(payload: str, label: str) -> str:
    """The payload as an inline SVG QR code (black on white, with its quiet zone), for an HTML
    page: an image whose accessible name is `label`."""
    code = segno.make(payload, error="m", boost_error=False, micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=4,
        border=4,
        dark="#000",
        # White behind it on a dark page too: scanners want dark modules on light.
        light="#fff",
    )
    svg = out.getvalue().decode()
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
