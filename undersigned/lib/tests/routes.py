"""Every route of the URLconf with an address to try it at, for the tests that must cover all.

`example_urls()` walks the URLconf itself, so a route added later is covered without anyone
listing it; a route whose parameters it cannot fill makes the tests fail until SAMPLES says how.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

TOKEN = "a-test-token-of-32-characters-00"


@dataclass(frozen=True)
class Route:
    name: str
    url: str


# Values for the named parameters of the project's own routes (the `world` fixture makes them).
SAMPLES = {
    "slug": "free-them",
    "language": "en",
    "other": "es",
    "token": TOKEN,
    "path": "nope.png",
    "app_label": "statements",
    "url": "nowhere/",
    "organisation": "red-estudiantil",
    "pk": "1",
    "colour": "1a5fb4",
    "name": "abcdefghij0123456789-480x320.jpg",
    "document": "1",
    "code": "U2345678",
}

# Routes that change something when POSTed to, with what a valid POST would send.
STATE_CHANGING = {
    "sign",
    "confirm",
    "withdraw",
    "logout",
    "set_language",
    "admin:logout",
    "admin:password_change",
    "admin:statements_statement_change",
    "admin:statements_statement_delete",
    "admin:organisations_organisation_change",
    "admin:statements_signature_changelist",
    # Signatures in the dashboard
    "dashboard:moderation",
    "dashboard:paper",
    "dashboard:paper_restart",
    "dashboard:signature_hide",
    "dashboard:signature_remove",
    "dashboard:signature_logo",
    "dashboard:sources",
    # Updates
    "dashboard:update_new",
    "dashboard:update",
    "dashboard:update_publish",
    "dashboard:update_delete",
    "dashboard:update_mail",
    "dashboard:update_mail_test",
    "dashboard:notice",
    # Following a statement's updates without signing
    "follow",
    "follow_confirm",
    # Saying one is coming to an event, confirming it, cancelling it.
    "event_rsvp",
    "event_confirm",
    "event_cancel",
    # Pledging to a fund and confirming it; asking for a bank transfer's reference.
    "fund_pledge",
    "fund_pledge_confirm",
    "fund_transfer",
    # A fund's card payment, begun at the provider.
    "fund_give",
    # Writing a comment (or a reply), reporting one; confirming, changing or deleting one's own.
    "statement_comments",
    "update_comments",
    "comment_reply",
    "comment_report",
    "comment_confirm",
    "comment_manage",
    # Coalitions
    "dashboard:partners",
    "dashboard:partner_remove",
    "dashboard:partner_accept",
    "dashboard:partner_decline",
    "dashboard:source_rename",
    "dashboard:source_delete",
    # Printing: asking for a leaflet, a poster, a sheet or a delivery pack.
    "dashboard:print",
    "dashboard:event_print",
    # Organisations, members and invitations in the dashboard.
    "dashboard:new_organisation",
    "dashboard:organisation",
    "dashboard:invite",
    "dashboard:revoke_invitation",
    "dashboard:change_role",
    "dashboard:remove_member",
    "dashboard:leave",
    "dashboard:pictures",
    "dashboard:picture_delete",
    "dashboard:markdown_preview",
    "dashboard:invitation",
    # Statements and their language versions in the dashboard.
    "dashboard:statement_new",
    "dashboard:statement_copy",
    "dashboard:statement_settings",
    "dashboard:statement_publish",
    "dashboard:statement_close",
    "dashboard:statement_reopen",
    "dashboard:version_new",
    "dashboard:version",
    # Events in the dashboard, their attendees and the emails to them.
    "dashboard:event_new",
    "dashboard:event_edit",
    "dashboard:event_status",
    "dashboard:event_publish",
    "dashboard:event_delete",
    "dashboard:event_after",
    "dashboard:event_version_new",
    "dashboard:event_version",
    "dashboard:event_version_delete",
    "dashboard:event_held",
    "dashboard:event_check_in",
    "dashboard:event_messages",
    "dashboard:event_message",
    "dashboard:event_message_test",
    "dashboard:event_message_send",
    # Funds in the dashboard, their ledger, pledges and bank transfers.
    "dashboard:fund_new",
    "dashboard:fund_edit",
    "dashboard:fund_publish",
    "dashboard:fund_close",
    "dashboard:fund_reopen",
    "dashboard:fund_delete",
    "dashboard:fund_version_new",
    "dashboard:fund_version",
    "dashboard:fund_version_delete",
    "dashboard:fund_entry_new",
    "dashboard:fund_transfers",
    "dashboard:fund_entry_void",
    "dashboard:fund_entry_receive",
    "dashboard:fund_entry_lapse",
    "dashboard:fund_entry_release",
    # Comments in the dashboard: moderation, replies, hiding, held forms, settings, policies.
    "dashboard:comments",
    "dashboard:comment_reply",
    "dashboard:comment_hide",
    "dashboard:comment_list",
    "dashboard:comment_held_forms",
    "dashboard:comment_settings",
    "dashboard:comment_unhide",
    "dashboard:statement_comments",
    "dashboard:statement_comments_close",
    "dashboard:statement_comments_reopen",
    # The signer's own page.
    "my_signature",
    # The watch page's tools, privacy (the whole list, the count) and erasure requests.
    "dashboard:invalidate",
    "dashboard:review_held",
    "dashboard:pause",
    "dashboard:privacy",
    "dashboard:signatories",
    "dashboard:erasure",
    # Organiser accounts.
    "login",
    "two_factor",
    "account_security",
}

# The model whose first row fills a non-admin route's <int:pk>, by route name.
OBJECT_OF = {
    "hide_notice": "updates.notice",
    "dashboard:signature_hide": "statements.signature",
    "dashboard:signature_remove": "statements.signature",
    "dashboard:signature_logo": "statements.signature",
    "dashboard:partner_remove": "statements.partner",
    "dashboard:update": "updates.update",
    "dashboard:update_publish": "updates.update",
    "dashboard:update_delete": "updates.update",
    "dashboard:update_mail": "updates.update",
    "dashboard:update_mail_test": "updates.update",
    "dashboard:source_rename": "statements.source",
    "dashboard:source_delete": "statements.source",
    "dashboard:picture_delete": "pictures.picture",
    "dashboard:event": "events.event",
    "dashboard:event_edit": "events.event",
    "dashboard:event_status": "events.event",
    "dashboard:event_publish": "events.event",
    "dashboard:event_delete": "events.event",
    "dashboard:event_after": "events.event",
    "dashboard:event_print": "events.event",
    "dashboard:event_document_download": "events.event",
    "dashboard:event_version_new": "events.event",
    "dashboard:event_version": "events.event",
    "dashboard:event_version_delete": "events.event",
    "dashboard:event_attendees": "events.event",
    "dashboard:event_held": "events.event",
    "dashboard:event_check_in": "events.event",
    "dashboard:event_check_in_list": "events.event",
    "dashboard:event_attendees_export": "events.event",
    "dashboard:event_messages": "events.event",
    "dashboard:event_message": "events.message",
    "dashboard:event_message_test": "events.message",
    "dashboard:event_message_send": "events.message",
    "dashboard:document_download": "paper.document",
    "dashboard:fund": "funds.fund",
    "dashboard:fund_edit": "funds.fund",
    "dashboard:fund_publish": "funds.fund",
    "dashboard:fund_close": "funds.fund",
    "dashboard:fund_reopen": "funds.fund",
    "dashboard:fund_delete": "funds.fund",
    "dashboard:fund_version_new": "funds.fund",
    "dashboard:fund_version": "funds.fund",
    "dashboard:fund_version_delete": "funds.fund",
    "dashboard:fund_ledger": "funds.fund",
    "dashboard:fund_entry_new": "funds.fund",
    "dashboard:fund_ledger_export": "funds.fund",
    "dashboard:fund_ledger_export_xlsx": "funds.fund",
    "dashboard:fund_pledges": "funds.fund",
    "dashboard:fund_transfers": "funds.fund",
    "dashboard:fund_entry_void": "funds.contribution",
    "dashboard:fund_entry_receive": "funds.contribution",
    "dashboard:fund_entry_lapse": "funds.contribution",
    "dashboard:fund_entry_release": "funds.contribution",
    "dashboard:comment_reply": "comments.comment",
    "dashboard:comment_hide": "comments.comment",
    "dashboard:comment_unhide": "comments.hiddencommenter",
    # The public pages of an event (regular-expression routes: their pk is filled the same way).
    "event_default": "events.event",
    "event": "events.event",
    "event_ics": "events.event",
    "event_rsvp": "events.event",
    "event_check_email": "events.event",
    "event_confirmed": "events.event",
    "event_confirm": "events.event",
    "event_cancel": "events.event",
    # The public pages of a fund.
    "fund_default": "funds.fund",
    "fund": "funds.fund",
    "fund_thermometer_svg": "funds.fund",
    "fund_thermometer_png": "funds.fund",
    "fund_pledge": "funds.fund",
    "fund_check_email": "funds.fund",
    "fund_pledge_confirm": "funds.fund",
    "fund_pledged": "funds.fund",
    "fund_transfer": "funds.fund",
    "fund_transfer_details": "funds.fund",
    # A fund's card payments.
    "fund_give": "funds.fund",
    "fund_thanks": "funds.fund",
    # Comments: an update's, and a comment's reply and report pages.
    "update_comments": "updates.update",
    "comment_reply": "comments.comment",
    "comment_report": "comments.comment",
}


def _walk(patterns: list[object], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{ns}:{pattern.namespace}" if ns and pattern.namespace else ns
            inner = inner or pattern.namespace or ""
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{ns}:{pattern.name}" if ns else str(pattern.name)
            yield name, prefix + str(pattern.pattern)


def _fill_regex_groups(route: str, name_of_route: str = "") -> str:
    """Replace each (?P<name>...) group, nested parentheses and all, by SAMPLES[name] (a pk
    by the first row of the route's OBJECT_OF model, as databases do not restart their ids)."""
    out = []
    i = 0
    while i < len(route):
        if route.startswith("(?P<", i):
            end = route.index(">", i)
            name = route[i + 4 : end]
            depth, j = 0, i
            while True:
                if route[j] == "(" and route[j - 1 : j] != "\\":
                    depth += 1
                elif route[j] == ")" and route[j - 1 : j] != "\\":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if name == "pk" and name_of_route in OBJECT_OF:
                out.append(_object_id(name_of_route))
            else:
                out.append(SAMPLES[name])
            i = j + 1
        else:
            out.append(route[i])
            i += 1
    return "".join(out).replace("^", "").replace("$", "").replace("\\", "")


def _object_id(name: str) -> str:
    """The primary key of the first row of the model an admin URL name (or OBJECT_OF) is
    about."""
    if name in OBJECT_OF:
        app_label, model_name = OBJECT_OF[name].split(".")
    else:
        app_label, model_name = name.removeprefix("admin:").split("_", 2)[:2]
    model = apps.get_model(app_label, model_name)
    first = model._default_manager.order_by("pk").first()
    assert first is not None, f"the test world has no {app_label}.{model_name} for {name}"
    return str(first.pk)


def _sample_or_object(name: str) -> Callable[[re.Match[str]], str]:
    def fill(match: re.Match[str]) -> str:
        parameter = match.group(1)
        return _object_id(name) if parameter == "pk" else SAMPLES[parameter]

    return fill


def example_urls() -> list[Route]:
    """One address per route of the URLconf (admin ones need a logged-in superuser)."""
    routes = []
    for name, route in _walk(list(get_resolver().url_patterns)):
        if name == "admin:None":
            # The admin's catch-all and its bare object URLs (which redirect to /change/).
            continue
        if "<" in route and "(?P<" not in route:
            if name == "admin:view_on_site":
                continue  # Redirects to the public page of an object; none has one here.
            if not name.startswith("admin:"):
                route = re.sub(r"<(?:\w+:)?(\w+)>", _sample_or_object(name), route)
            else:
                route = re.sub(r"<(?:\w+:)?\w+>", _object_id(name), route)
            url = route
        else:
            url = _fill_regex_groups(route, name)
        routes.append(Route(name=name, url="/" + url))
    return routes
