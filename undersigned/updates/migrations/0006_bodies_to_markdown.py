"""Update texts, from sanitised HTML to Markdown, as statement texts (statements 0013)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from undersigned.lib import markdown
from undersigned.statements.migrations import _markdown


def forwards(apps: Any, schema_editor: Any) -> None:
    _markdown.convert(apps, "updates.UpdateVersion", markdown.from_html_checked)


def backwards(apps: Any, schema_editor: Any) -> None:
    _markdown.convert(apps, "updates.UpdateVersion", markdown.render)


class Migration(migrations.Migration):
    dependencies = [("updates", "0005_markdown_help"), ("statements", "0013_bodies_to_markdown")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
