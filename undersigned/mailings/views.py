from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from undersigned.mailings.models import DemoMail


@require_safe
def mailbox(request: HttpRequest) -> HttpResponse:
    """Demo mode only: the mail the site would have sent, so a newcomer can confirm a signature."""
    if not settings.DEMO_MODE:
        raise Http404
    response = render(request, "mailings/mailbox.html", {"messages_": DemoMail.objects.all()[:50]})
    response["Cache-Control"] = "no-store"
    return response
