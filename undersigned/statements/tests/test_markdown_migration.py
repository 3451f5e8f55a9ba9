"""The migration to Markdown: statement and update texts stored as HTML are rewritten once as
Markdown that renders to the same page; going back renders them to HTML again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from undersigned.lib.markdown import render

BEFORE = [("statements", "0012_cover"), ("updates", "0005_markdown_help")]
HTML = (
    "<p>On 12 October police arrested <strong>forty-one students</strong>.</p>"
    "<h2>Our demands</h2><ul><li>Release them</li><li>Drop the charges</li></ul>"
    '<p>Read <a href="https://example.org/report">the report</a> &amp; share it.</p>'
)


@pytest.mark.django_db(transaction=True)
def test_html_bodies_become_markdown_that_renders_the_same() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        organisation = old.get_model("organisations", "Organisation").objects.create(
            name="Red", slug="red"
        )
        statement = old.get_model("statements", "Statement").objects.create(
            organisation=organisation, slug="free-them", default_language="en"
        )
        old.get_model("statements", "StatementVersion").objects.create(
            statement=statement, language="en", title="Free them", summary="", body=HTML
        )
        update = old.get_model("updates", "Update").objects.create(statement=statement)
        old.get_model("updates", "UpdateVersion").objects.create(
            update=update, language="en", title="News", body="<p>We <em>marched</em>.</p>"
        )
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        new = executor.loader.project_state(latest).apps
        body = new.get_model("statements", "StatementVersion").objects.get().body
        assert body.startswith("On 12 October police arrested **forty-one students**.")
        assert "# Our demands\n\n- Release them\n- Drop the charges" in body
        assert "<" not in body.replace("(<https://example.org/report>)", "")
        assert render(body).replace("\n", "") == (
            "<p>On 12 October police arrested <strong>forty-one students</strong>.</p>"
            "<h2>Our demands</h2><ul><li>Release them</li><li>Drop the charges</li></ul>"
            '<p>Read <a href="https://example.org/report" rel="nofollow noopener noreferrer">'
            "the report</a> &amp; share it.</p>"
        )
        news = new.get_model("updates", "UpdateVersion").objects.get().body
        assert news == "We *marched*.\n"
        # And back: the HTML the page showed.
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        back = old.get_model("statements", "StatementVersion").objects.get().body
        assert "<strong>forty-one students</strong>" in back and "<h2>Our demands</h2>" in back
    finally:
        MigrationExecutor(connection).migrate(latest)
