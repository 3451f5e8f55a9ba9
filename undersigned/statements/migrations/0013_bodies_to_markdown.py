"""Statement texts were stored as sanitised HTML; they are written in Markdown now. Each body is
converted once, to Markdown that renders to the same HTML (lib.markdown.from_html_checked:
where the Markdown would show something else, the safe HTML is kept, which Markdown shows as
it is).
Going back converts the Markdown to HTML (rendered as the public page renders it)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from undersigned.lib import markdown
from undersigned.statements.migrations import _markdown


def forwards(apps: Any, schema_editor: Any) -> None:
    _markdown.convert(apps, "statements.StatementVersion", markdown.from_html_checked)


def backwards(apps: Any, schema_editor: Any) -> None:
    _markdown.convert(apps, "statements.StatementVersion", markdown.render)


class Migration(migrations.Migration):
    dependencies = [("statements", "0012_cover")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
