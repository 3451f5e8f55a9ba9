"""Notices (updates.models.Notice): which one a reader sees, and the readers who hid some.

A reader hides a notice with a plain form (no script): the ids hidden are kept in a cookie of
their own browser, which needs no consent banner (it holds nothing but what they asked for,
and is sent only to this site). Pages are stored by the public page cache for everyone; a
request carrying this cookie is rendered for its reader instead (see lib.pagecache).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest

from undersigned.statements.models import Statement
from undersigned.updates.models import Notice

COOKIE = "hidden_notices"
# Notices a browser remembers as hidden, the newest ones.
REMEMBERED = 20


def hidden(request: HttpRequest) -> list[int]:
    """The notices this reader hid, oldest first."""
    found = []
    for part in request.COOKIES.get(COOKIE, "").split(","):
        if part.isdigit() and len(part) < 12:
            found.append(int(part))
    return found[-REMEMBERED:]


def notice_for(statement: Statement | None, hidden_ids: list[int]) -> Notice | None:
    """The newest notice shown now, the statement's own before the site's, unless hidden."""
    where = Q(statement__isnull=True)
    if statement is not None:
        where |= Q(statement=statement)
    candidates = list(Notice.objects.shown().filter(where).exclude(pk__in=hidden_ids)[:10])
    own = [notice for notice in candidates if notice.statement_id is not None]
    shown = own or candidates
    return shown[0] if shown else None
