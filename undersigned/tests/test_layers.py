"""Lower apps never import higher ones (docs/architecture.md, "Layers"): a domain app can be
read, tested and changed without the pages above it, and a new feature plugs in on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app's layer, lowest first. An app may import its own layer and those below.
LAYERS: list[set[str]] = [
    {"lib"},
    {"jobs", "audit", "abuse", "mailings"},
    {"accounts", "organisations"},
    {"pictures"},
    {"statements"},
    {"updates", "events"},
    # Fighting funds: for a statement or an event.
    # Comments under statements and their updates.
    {"funds", "comments"},
    # Leaflets, posters and the delivery pack, of statements and of events.
    {"paper"},
    {"public", "dashboard"},
]
LAYER = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def _app_modules() -> list[Path]:
    """Application code: every module inside an app, tests and migrations aside."""
    return [
        path
        for path in sorted(ROOT.glob("*/**/*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
        and path.name != "conftest.py"
    ]


def _imported_apps(path: Path) -> set[str]:
    """The apps of undersigned that a module imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            # Relative imports would hide which app is imported: every import names it.
            found.add(f"a relative import at line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module == "undersigned":
                names = [f"undersigned.{alias.name}" for alias in node.names]
        found |= {name.split(".")[1] for name in names if name.startswith("undersigned.")}
    return found


def test_every_app_has_a_layer() -> None:
    apps = {path.relative_to(ROOT).parts[0] for path in _app_modules()}
    assert apps - set(LAYER) == set(), "add the new app to LAYERS (and docs/architecture.md)"


@pytest.mark.parametrize("path", _app_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_app_imports_an_app_above_it(path: Path) -> None:
    app = path.relative_to(ROOT).parts[0]
    above = {
        imported
        for imported in _imported_apps(path)
        if imported not in LAYER or LAYER[imported] > LAYER[app]
    }
    assert above == set(), f"{app} (layer {LAYER[app]}) imports {above} from above it"


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from undersigned.public.views import signing\n")
    assert _imported_apps(module) == {"public"}


def test_the_check_sees_a_relative_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("from ..dashboard import access\n")
    assert _imported_apps(module) == {"a relative import at line 1"}
