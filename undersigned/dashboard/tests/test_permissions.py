"""Every dashboard view, tried by an owner, an editor, a viewer, an outsider and a visitor,
with each of GET and POST.

The views are read from the URL configuration (undersigned.dashboard.urls), so a new view
fails here until VIEWS says who may do what with it. Members whose role is below what a
method needs get 403, outsiders 404 (the organisation's things are not theirs to know of);
both refusals are in the audit log. A method a view does not answer is 405 for everyone;
visitors are sent to log in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.comments.models import Comment, HiddenCommenter
from undersigned.dashboard import urls as dashboard_urls
from undersigned.organisations.models import RANK, Membership, Organisation
from undersigned.pictures.models import Picture
from undersigned.statements.models import Signature, Source, Statement

ANYONE = None  # any logged-in person
VIEWER = Membership.Role.VIEWER
EDITOR = Membership.Role.EDITOR
OWNER = Membership.Role.OWNER

# Per view (its URL name): the least role each method it answers needs; it must answer any
# other method with 405. Add every new view.
VIEWS: dict[str, dict[str, str | None]] = {
    "home": {"get": ANYONE},
    # Signatures
    "signatures": {"get": VIEWER},
    "signatures_export": {"get": EDITOR},
    "signatures_export_xlsx": {"get": EDITOR},
    "moderation": {"get": EDITOR, "post": EDITOR},
    "paper": {"get": EDITOR, "post": EDITOR},
    "paper_restart": {"post": EDITOR},
    "signature_hide": {"get": EDITOR, "post": EDITOR},
    "signature_remove": {"get": EDITOR, "post": EDITOR},
    "signature_logo": {"get": EDITOR, "post": EDITOR},
    # Watching for abuse
    "watch": {"get": VIEWER},
    "invalidate": {"post": EDITOR},
    "review_held": {"post": EDITOR},
    "pause": {"post": EDITOR},
    # Privacy: the whole signatory list, the count after erasure; erasure requests; the log
    "privacy": {"get": VIEWER, "post": EDITOR},
    "signatories": {"get": EDITOR, "post": EDITOR},
    "erasure": {"get": EDITOR, "post": EDITOR},
    "audit": {"get": OWNER},
    # Charts and sources
    "charts": {"get": VIEWER},
    "sources": {"get": VIEWER, "post": EDITOR},
    "source_rename": {"get": EDITOR, "post": EDITOR},
    "source_delete": {"get": EDITOR, "post": EDITOR},
    # Updates
    "updates": {"get": VIEWER},
    "update_new": {"get": EDITOR, "post": EDITOR},
    "update": {"get": VIEWER, "post": EDITOR},
    "update_publish": {"post": EDITOR},
    "update_delete": {"post": EDITOR},
    "update_mail": {"get": EDITOR, "post": EDITOR},
    "update_mail_test": {"post": EDITOR},
    "notice": {"get": VIEWER, "post": EDITOR},
    # Printing: leaflets, posters, sheets, delivery packs and their downloads
    "print": {"get": EDITOR, "post": EDITOR},
    "document_download": {"get": EDITOR},
    # Coalitions: the running organisation's side, and a partner's own (the personas'
    # organisation is a partner of another organisation's statement: PARTNERED)
    "partners": {"get": VIEWER, "post": EDITOR},
    "partner_remove": {"post": EDITOR},
    "partner": {"get": VIEWER},
    "partner_export": {"get": EDITOR},
    "partner_accept": {"post": OWNER},
    "partner_decline": {"post": OWNER},
    # Organisations, members and invitations
    "new_organisation": {"get": ANYONE, "post": ANYONE},
    "organisation": {"get": VIEWER, "post": OWNER},
    "invite": {"post": OWNER},
    "revoke_invitation": {"post": OWNER},
    "change_role": {"post": OWNER},
    "remove_member": {"post": OWNER},
    "leave": {"post": VIEWER},
    # Pictures, and the Markdown editor's preview
    "pictures": {"get": VIEWER, "post": EDITOR},
    "picture_delete": {"post": EDITOR},
    "markdown_preview": {"post": EDITOR},
    # Statements
    "statements": {"get": VIEWER},
    "statement_new": {"get": EDITOR, "post": EDITOR},
    "statement": {"get": VIEWER},
    "statement_copy": {"get": EDITOR, "post": EDITOR},
    "statement_settings": {"get": VIEWER, "post": EDITOR},
    "statement_publish": {"post": EDITOR},
    "statement_close": {"post": EDITOR},
    "statement_reopen": {"post": EDITOR},
    "version_new": {"get": EDITOR, "post": EDITOR},
    "version": {"get": VIEWER, "post": EDITOR},
    # Events: viewers see them and how many come, never who
    "events": {"get": VIEWER},
    "event_new": {"get": EDITOR, "post": EDITOR},
    "event": {"get": VIEWER},
    "event_edit": {"get": VIEWER, "post": EDITOR},
    "event_status": {"get": VIEWER, "post": EDITOR},
    "event_publish": {"post": EDITOR},
    "event_delete": {"get": EDITOR, "post": EDITOR},
    "event_after": {"get": VIEWER, "post": EDITOR},
    "event_print": {"get": EDITOR, "post": EDITOR},
    "event_document_download": {"get": EDITOR},
    "event_version_new": {"get": EDITOR, "post": EDITOR},
    "event_version": {"get": VIEWER, "post": EDITOR},
    "event_version_delete": {"get": EDITOR, "post": EDITOR},
    "event_attendees": {"get": VIEWER},
    "event_held": {"post": EDITOR},
    "event_check_in": {"post": EDITOR},
    "event_check_in_list": {"get": EDITOR},
    "event_attendees_export": {"get": EDITOR},
    "event_messages": {"get": VIEWER, "post": EDITOR},
    "event_message": {"get": EDITOR, "post": EDITOR},
    "event_message_test": {"post": EDITOR},
    "event_message_send": {"post": EDITOR},
    # Funds: viewers see the list and the overview's totals, never the ledger or its donors
    "funds": {"get": VIEWER},
    "fund_new": {"get": EDITOR, "post": EDITOR},
    "fund": {"get": VIEWER},
    "fund_edit": {"get": EDITOR, "post": EDITOR},
    "fund_publish": {"post": EDITOR},
    "fund_close": {"post": EDITOR},
    "fund_reopen": {"post": EDITOR},
    "fund_delete": {"get": EDITOR, "post": EDITOR},
    "fund_version_new": {"get": EDITOR, "post": EDITOR},
    "fund_version": {"get": EDITOR, "post": EDITOR},
    "fund_version_delete": {"get": EDITOR, "post": EDITOR},
    "fund_ledger": {"get": EDITOR},
    "fund_entry_new": {"get": EDITOR, "post": EDITOR},
    "fund_ledger_export": {"get": EDITOR},
    "fund_ledger_export_xlsx": {"get": EDITOR},
    "fund_pledges": {"get": EDITOR},
    "fund_transfers": {"get": EDITOR, "post": EDITOR},
    "fund_entry_void": {"get": EDITOR, "post": EDITOR},
    "fund_entry_receive": {"get": EDITOR, "post": EDITOR},
    "fund_entry_lapse": {"get": EDITOR, "post": EDITOR},
    "fund_entry_release": {"get": EDITOR, "post": EDITOR},
    # Comments: moderators only (editors and owners); viewers see none of it
    "comments": {"get": EDITOR, "post": EDITOR},
    "comment_reply": {"get": EDITOR, "post": EDITOR},
    "comment_hide": {"get": EDITOR, "post": EDITOR},
    "comment_list": {"get": EDITOR, "post": EDITOR},
    "comment_held_forms": {"get": EDITOR, "post": EDITOR},
    "comment_settings": {"get": EDITOR, "post": EDITOR},
    "comment_unhide": {"post": EDITOR},
    "statement_comments": {"get": EDITOR, "post": EDITOR},
    "statement_comments_close": {"post": EDITOR},
    "statement_comments_reopen": {"post": EDITOR},
}

# Views whose permission is not a role in an organisation, and where they are tested.
ELSEWHERE = {
    "invitation": "test_members.py: the link's token lets its holder in, logged in or not",
}

# More addresses of a view, for a query that shows something else (formatted with `targets`),
# each with the least role its GET needs.
QUERIES: dict[str, dict[str, str | None]] = {
    "watch": {
        # Email domains, per hour or in a preview, for those who see addresses.
        "?by=domain": EDITOR,
        "?preview=1&by=domain&domain=example.org": EDITOR,
        "?preview=1&by=network&network=abc": VIEWER,
    },
    "audit": {"?statement={statement}&person=1": OWNER},
}

# The statement of another organisation that the personas' organisation backs as a partner:
# the partner views are about it.
PARTNERED = "backed-by-them"
# The views a partner's members use, about PARTNERED.
PARTNER_SIDE = ("partner", "partner_export", "partner_accept", "partner_decline")
# What a view's `pk` is, by the word before it in the address.
PKS = {
    "signatures": "signature",
    "updates": "update",
    "partners": "partner",
    "sources": "source",
    "pictures": "picture",
    "events": "event",
    "emails": "message",
    "print": "document",
    "funds": "fund",
    "entries": "entry",
    "comments": "comment",
    "hidden": "hidden_commenter",
}


def _patterns() -> list[URLPattern]:
    patterns = []
    for pattern in dashboard_urls.urlpatterns:
        assert not isinstance(pattern, URLResolver), "an include(): list its views here too"
        patterns.append(pattern)
    return patterns


def _kwargs(pattern: URLPattern, targets: dict[str, Any]) -> dict[str, Any]:
    """The URL's arguments, filled with the fixtures' objects."""
    route = str(pattern.pattern)
    partner_side = pattern.name in PARTNER_SIDE
    values: dict[str, Any] = {}
    for name in pattern.pattern.regex.groupindex:
        if name == "slug":
            on_statement = route.startswith("s/")
            statement = PARTNERED if partner_side else targets["statement"]
            values[name] = statement if on_statement else targets["organisation"]
        elif name == "organisation":
            values[name] = targets["organisation"]
        elif name == "language":
            values[name] = "es"
        elif name == "document":
            values[name] = targets["event_document"]
        elif name == "pk":
            word = route.split("/<int:pk>")[0].rsplit("/", 1)[-1]
            assert word in PKS, f"{pattern.name}: say in PKS what its pk is"
            values[name] = targets[PKS[word]]
        else:
            raise AssertionError(f"{pattern.name}: say in _kwargs how to fill {name!r}")
    return values


def _cases() -> list[Any]:
    """(view, method, query) for every view of the URL configuration and both methods."""
    cases = []
    for pattern in _patterns():
        if pattern.name in ELSEWHERE:
            continue
        for method in ("get", "post"):
            queries = [""] + (list(QUERIES.get(str(pattern.name), {})) if method == "get" else [])
            for query in queries:
                cases.append(
                    pytest.param(pattern.name, method, query, id=f"{pattern.name}-{method}{query}")
                )
    return cases


CASES = _cases()


def address(view: str, query: str, targets: dict[str, Any]) -> str:
    """The address of `view` on the fixtures' objects, with `query` (see QUERIES)."""
    (pattern,) = [p for p in _patterns() if p.name == view]
    return reverse(f"dashboard:{view}", kwargs=_kwargs(pattern, targets)) + query.format(**targets)


def _least_role(view: str, method: str, query: str = "") -> str | None:
    """The least role `method` needs on `view` with `query` ("405" if it must not answer it)."""
    if query:
        return QUERIES[view][query]
    if view not in VIEWS:
        pytest.fail(
            f"the dashboard view {view!r} has no permission expectations: add it to VIEWS in "
            "dashboard/tests/test_permissions.py (or to ELSEWHERE, saying where it is tested)"
        )
    return VIEWS[view].get(method, "405")


def test_every_dashboard_view_has_its_permissions_listed() -> None:
    names = {str(pattern.name) for pattern in _patterns()}
    missing = names - set(VIEWS) - set(ELSEWHERE)
    assert missing == set(), f"dashboard views with no permission expectations: {missing}"
    assert (set(VIEWS) | set(ELSEWHERE)) - names == set(), "expectations for views that are gone"
    assert all(set(methods) <= {"get", "post"} for methods in VIEWS.values())


@pytest.fixture
def targets(statement: Statement, settings: Any, tmp_path: Any) -> dict[str, Any]:
    from undersigned.conftest import make_partner, make_signature
    from undersigned.events.models import Message
    from undersigned.events.tests.conftest import make_event
    from undersigned.funds.models import Contribution
    from undersigned.funds.tests.conftest import make_fund
    from undersigned.paper.actions import store
    from undersigned.paper.models import Document
    from undersigned.updates.models import Update

    partner = Organisation.objects.create(name="Partner Union", slug="partner-union")
    # Another organisation's statement, which the personas' organisation backs.
    third = Organisation.objects.create(name="Third", slug="third")
    backed = Statement.objects.create(
        organisation=third, slug=PARTNERED, status="open", default_language="en"
    )
    make_partner(backed, statement.organisation, actor=None)
    settings.PAPER_DIR = tmp_path
    document = Document.objects.create(
        statement=statement, kind=Document.Kind.SHEET, state=Document.State.READY
    )
    document.file_name = store(b"%PDF-1.7 a sheet")
    document.save(update_fields=("file_name",))
    event = make_event(statement.organisation, statement)
    # An event's leaflet: only its event's Print page lists it.
    leaflet = Document.objects.create(
        event=event, kind=Document.Kind.LEAFLET, state=Document.State.READY
    )
    leaflet.file_name = store(b"%PDF-1.7 a leaflet")
    leaflet.save(update_fields=("file_name",))
    fund = make_fund(statement.organisation, statement)
    # A confirmed pledge: every change to a ledger line applies to it.
    pledge = Contribution.objects.create(
        fund=fund, state=Contribution.State.PLEDGED, method="other", amount=5_000
    )
    # A comment waiting for a moderator (every comment view applies to it), and a commenter
    # hidden from the organisation's pages.
    comment = Comment.objects.create(
        organisation=statement.organisation,
        statement=statement,
        language="en",
        name="Rosa",
        email="rosa@example.org",
        email_canonical="rosa@example.org",
        text="We are with you.",
        state=Comment.State.HELD,
        reasons="pre",
        confirmed_at=timezone.now(),
    )
    hidden = HiddenCommenter.objects.create(
        organisation=statement.organisation, email_canonical="troll@example.org", name="Troll"
    )
    return {
        "comment": comment.pk,
        "hidden_commenter": hidden.pk,
        "fund": fund.pk,
        "entry": pledge.pk,
        "document": document.pk,
        "event_document": leaflet.pk,
        "statement": statement.slug,
        "organisation": statement.organisation.slug,
        "event": event.pk,
        "message": Message.objects.create(event=event, subject="Meet", body="At six.").pk,
        # An organisation's: every signature view applies to it (the logo only to those).
        "signature": make_signature(
            statement, 1, kind=Signature.Kind.ORGANISATION, organisation_name="Miners' Union"
        ).pk,
        "partner": make_partner(statement, partner, actor=None).pk,
        "update": Update.objects.create(statement=statement).pk,
        "source": Source.objects.create(statement=statement, code="posters").pk,
        "picture": Picture.objects.create(
            organisation=statement.organisation,
            name="pictures/abcdefghij0123456789-480x320.jpg",
            width=480,
            height=320,
            alt="A crowd",
        ).pk,
    }


ROLES = {"organiser": OWNER, "member": EDITOR, "viewer": VIEWER}


def _refused(user: User, view: str) -> bool:
    return AuditLog.objects.filter(
        action="access.denied", actor=user, data__view=f"dashboard:{view}"
    ).exists()


def _check(response: Any, persona: str, user: User | None, view: str, role: str | None) -> None:
    """What `persona` must get from `view` when it needs `role`."""
    if user is None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    elif role == "405":
        assert response.status_code == 405
    elif persona == "outsider" and role is None:
        # Their own dashboard: nothing of the other organisation's in it.
        assert response.status_code == 200
        assert b"Red Estudiantil" not in response.content
        assert b"Free them" not in response.content
    elif persona == "outsider":
        assert response.status_code == 404
        assert _refused(user, view)
    elif role is None or RANK[ROLES[persona]] >= RANK[role]:
        # In: the page, a redirect after the change, or (an empty POST) the form's errors.
        assert response.status_code in (200, 302, 303, 400)
        if response.status_code in (302, 303):
            assert "/accounts/login/" not in response["Location"]
        assert not _refused(user, view)
    else:
        assert response.status_code == 403
        assert _refused(user, view)


@pytest.mark.parametrize(("view", "method", "query"), CASES)
def test_each_person_gets_as_far_as_their_role_goes(
    request: pytest.FixtureRequest, targets: dict[str, Any], view: str, method: str, query: str
) -> None:
    """An owner, an editor and a viewer of the organisation, the owner of another one (404
    wherever a role is needed), and a visitor (sent to log in). Each request is rolled back,
    so what one person changed does not change what the next one gets."""
    role = _least_role(view, method, query)
    url = address(view, query, targets)
    for persona in ("viewer", "member", "organiser", "outsider", "visitor"):
        user: User | None = None
        client = Client()
        if persona != "visitor":
            user = request.getfixturevalue(persona)
            client = request.getfixturevalue(f"{persona}_client")
        with transaction.atomic():
            response = getattr(client, method)(url)
            try:
                _check(response, persona, user, view, role)
            except AssertionError as error:
                raise AssertionError(
                    f"{persona} ({ROLES.get(persona, 'no role')}), {method.upper()} {url}: "
                    f"{response.status_code}, needs {role or 'a login'}"
                ) from error
            transaction.set_rollback(True)


def test_the_home_page_lists_each_organisation_with_its_statements(
    midday: object, viewer_client: Client, statement: Statement
) -> None:
    import datetime as dt

    from undersigned.conftest import make_signature
    from undersigned.dashboard.views.home import start_of_today

    today = start_of_today()
    make_signature(statement, 1, confirmed_at=today + dt.timedelta(minutes=1))
    make_signature(statement, 2, confirmed_at=today + dt.timedelta(minutes=2))
    make_signature(statement, 3, confirmed_at=today - dt.timedelta(minutes=1))
    other = Organisation.objects.create(name="Second", slug="second")
    Membership.objects.create(
        organisation=other, user=Membership.objects.get(role="viewer").user, role="owner"
    )
    page = viewer_client.get("/dashboard/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Red Estudiantil" in text and "Second" in text
    assert "Free them" in text
    row = page.context["organisations"][0][1][0]
    assert (row.counted, row.today) == (3, 2)
