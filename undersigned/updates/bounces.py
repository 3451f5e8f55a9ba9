"""Addresses that bounce, reported by the mail server: no update is sent to them again."""

from __future__ import annotations

import json

import pydantic
from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from undersigned.audit.models import record
from undersigned.updates.recipients import mark_bounced

# Addresses one request may report.
MOST = 1000


class BounceReport(pydantic.BaseModel):
    """{"addresses": ["someone@example.org", ...]}"""

    model_config = pydantic.ConfigDict(extra="forbid")

    addresses: list[pydantic.constr(min_length=3, max_length=254)] = pydantic.Field(  # type: ignore[valid-type]
        max_length=MOST
    )


def _authorised(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(token, settings.BOUNCE_HOOK_TOKEN)


@csrf_exempt  # Called by the mail server, which has no session; it proves itself by its token.
@require_POST
def bounce_hook(request: HttpRequest) -> JsonResponse:
    if not settings.BOUNCE_HOOK_TOKEN:
        raise Http404
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    try:
        report = BounceReport.model_validate(json.loads(request.body), strict=True)
    # RecursionError: arrays or objects nested deeper than the parser goes.
    except (ValueError, RecursionError, pydantic.ValidationError):
        return JsonResponse(
            {"error": f'expected {{"addresses": [...]}} with at most {MOST} addresses'},
            status=400,
        )
    added = mark_bounced(report.addresses, "hook")
    record("bounces.reported", source="hook", addresses=len(report.addresses), new=added)
    return JsonResponse({"marked": added})
