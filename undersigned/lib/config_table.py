"""The configuration table of docs/configuration.md, made from settings.py: every env_*() call
with the comment on the line(s) above it. `make config-table` rewrites it between the page's
markers.
"""

from __future__ import annotations

import re
from pathlib import Path

SETTINGS = Path(__file__).resolve().parent.parent / "settings.py"
_CALL = re.compile(
    r'env_(?:str|bool|int|list|secret)\("(?P<name>[A-Z][A-Z0-9_]*)"(?:,\s*(?P<default>[^)]*))?\)'
)


def rows(source: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    comment: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
            continue
        for match in _CALL.finditer(line):
            name = match["name"]
            if any(name == row[0] for row in found):
                continue
            default = (match["default"] or "").strip()
            found.append((name, default, " ".join(comment)))
        comment = []
    return found


def table(source: str) -> str:
    lines = ["| Variable | Default | What it does |", "| --- | --- | --- |"]
    for name, default, doc in rows(source):
        shown = default.replace("str(BASE_DIR / ", "(project)/").replace('"', "")
        shown = shown.replace("str(DATA_DIR / ", "DATA_DIR/").rstrip(")") or "(unset)"
        lines.append(f"| `{name}` | `{shown}` | {doc} |")
    return "\n".join(lines)


PAGE = SETTINGS.parent.parent / "docs" / "configuration.md"
START, END = "<!-- config-table -->", "<!-- /config-table -->"


def write_page() -> None:
    """Replace the table between the page's markers with the current one."""
    text = PAGE.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    current = table(SETTINGS.read_text(encoding="utf-8"))
    PAGE.write_text(f"{head}{START}\n{current}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    write_page()
    print(table(SETTINGS.read_text(encoding="utf-8")))
