from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

CATALOGUES = sorted((Path(__file__).resolve().parents[3] / "locale").glob("*/LC_MESSAGES/*.po"))


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_interface_string_is_translated(catalogue: Path) -> None:
    for flag in ("--untranslated", "--only-fuzzy"):
        left = subprocess.run(  # noqa: S603
            ["msgattrib", flag, "--no-wrap", str(catalogue)],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "msgid" not in left, f"{catalogue}: entries {flag}:\n{left}"


def test_there_is_a_complete_spanish_catalogue() -> None:
    assert [path.parts[-3] for path in CATALOGUES] == ["es"]
