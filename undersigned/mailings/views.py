from __future__ import annotations

from ipaddress import ip_address

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from undersigned.mailings.models import DemoMail


@require_safe
def mailbox(request: HttpRequest) -> HttpResponse:
    """Demo mode only: the mail the site would have sent, so a newcomer can confirm a signature."""
    # The mailbox shows every demo email with working links: only to the machine running it.
    if not settings.DEMO_MODE or not ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback:
        raise Http404
    return render(request, "mailings/mailbox.html", {"messages_": DemoMail.objects.all()[:50]})
