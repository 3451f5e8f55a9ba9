"""The live preview of the Markdown editor: organiser text rendered exactly as the public pages
render it (undersigned.lib.markdown), with what publishing it would remove. The editor's script
asks for it as the organiser types; without the script, each form's Preview button does the same
by reloading the page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from undersigned.dashboard.access import EDITOR, organisation_for
from undersigned.lib import markdown


@login_required
@require_POST
def markdown_preview(request: HttpRequest, slug: str) -> JsonResponse:
    organisation_for(request, slug, EDITOR)
    text = request.POST.get("text", "")[: markdown.MAX_CHARS]
    return JsonResponse(
        {
            "html": markdown.render_once(text),
            "dropped": render_to_string(
                "dashboard/_dropped.html", {"dropped": markdown.dropped(text)}, request
            ),
        }
    )
