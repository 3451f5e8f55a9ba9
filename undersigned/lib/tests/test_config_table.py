from __future__ import annotations

from pathlib import Path

from undersigned.lib.config_table import SETTINGS, rows, table

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_setting_read_from_the_environment_is_documented() -> None:
    for name, _default, doc in rows(SETTINGS.read_text(encoding="utf-8")):
        assert doc, f"{name} has no comment above it in settings.py"


def test_the_readme_table_is_current() -> None:
    assert table(SETTINGS.read_text(encoding="utf-8")) in README.read_text(encoding="utf-8")
