from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from undersigned.lib.clientip import from_this_machine
from undersigned.mailings.models import DemoMail


@require_safe
def mailbox(request: HttpRequest) -> HttpResponse:
    """Demo mode only: the mail the site would have sent, so a newcomer can confirm a signature."""
    # The mailbox shows every demo email with working links: only to the machine running it,
    # never through a proxy or a tunnel on that machine.
    if not settings.DEMO_MODE or not from_this_machine(request):
        raise Http404
    return render(request, "mailings/mailbox.html", {"messages_": DemoMail.objects.all()[:50]})
