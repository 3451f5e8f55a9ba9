"""The dashboard's addresses, under /dashboard/. Add each new view here and say who may use it
in VIEWS in dashboard/tests/test_permissions.py, which reads this list and fails on a view it
has no expectations for."""

from __future__ import annotations

from django.urls import path, re_path

from undersigned.dashboard.views import (
    audit,
    charts,
    comment_list,
    comment_queue,
    comment_settings,
    event_people,
    events,
    fund_exports,
    fund_ledger,
    fund_versions,
    funds,
    home,
    markdown,
    members,
    notices,
    paper,
    partners,
    pictures,
    privacy,
    signatures,
    statements,
    updates,
    versions,
    watch,
)

app_name = "dashboard"

# An organisation's slug in a URL.
ORG = r"(?P<slug>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("", home.home, name="home"),
    # Signatures: list, moderation, hide/remove, paper entry, export.
    path("s/<slug:slug>/signatures/", signatures.signature_list, name="signatures"),
    path("s/<slug:slug>/signatures/export.csv", signatures.export, name="signatures_export"),
    path(
        "s/<slug:slug>/signatures/export.xlsx",
        signatures.export,
        {"spreadsheet": True},
        name="signatures_export_xlsx",
    ),
    path("s/<slug:slug>/signatures/moderation/", signatures.moderation, name="moderation"),
    path("s/<slug:slug>/signatures/paper/", signatures.paper, name="paper"),
    path(
        "s/<slug:slug>/signatures/paper/restart/",
        signatures.paper_restart,
        name="paper_restart",
    ),
    path(
        "s/<slug:slug>/signatures/<int:pk>/hide/",
        signatures.hide_signature,
        name="signature_hide",
    ),
    path(
        "s/<slug:slug>/signatures/<int:pk>/logo/",
        signatures.signature_logo,
        name="signature_logo",
    ),
    path(
        "s/<slug:slug>/signatures/<int:pk>/remove/",
        signatures.remove_signature,
        name="signature_remove",
    ),
    # Watching for abuse: held signatures, per-hour figures, bulk invalidation, pausing.
    path("s/<slug:slug>/watch/", watch.watch, name="watch"),
    path("s/<slug:slug>/watch/invalidate/", watch.invalidate, name="invalidate"),
    path("s/<slug:slug>/watch/held/", watch.review_held, name="review_held"),
    path("s/<slug:slug>/watch/pause/", watch.pause, name="pause"),
    # Privacy: the whole signatory list, the count after erasure (views/privacy.py).
    path("s/<slug:slug>/privacy/", privacy.privacy_page, name="privacy"),
    path("s/<slug:slug>/privacy/signatories/", privacy.signatories, name="signatories"),
    # Charts and sources
    path("s/<slug:slug>/charts/", charts.charts_page, name="charts"),
    path("s/<slug:slug>/sources/", charts.sources_page, name="sources"),
    # Updates
    path("s/<slug:slug>/updates/", updates.update_list, name="updates"),
    path("s/<slug:slug>/updates/new/", updates.update_edit, name="update_new"),
    path("s/<slug:slug>/updates/<int:pk>/", updates.update_edit, name="update"),
    path("s/<slug:slug>/updates/<int:pk>/publish/", updates.update_publish, name="update_publish"),
    path("s/<slug:slug>/updates/<int:pk>/delete/", updates.update_delete, name="update_delete"),
    path("s/<slug:slug>/notice/", notices.notice, name="notice"),
    path("s/<slug:slug>/updates/<int:pk>/email/", updates.update_mail, name="update_mail"),
    path(
        "s/<slug:slug>/updates/<int:pk>/email/test/",
        updates.update_mail_test,
        name="update_mail_test",
    ),
    # Printing: leaflets, posters, sign-up sheets and delivery packs (views/paper.py).
    path("s/<slug:slug>/print/", paper.print_page, name="print"),
    path("s/<slug:slug>/print/<int:pk>/", paper.download, name="document_download"),
    # Coalitions: the running organisation's page of partners, and each partner's own page.
    path("s/<slug:slug>/partners/", partners.partners_page, name="partners"),
    path("s/<slug:slug>/partners/<int:pk>/remove/", partners.partner_remove, name="partner_remove"),
    path("s/<slug:slug>/partner/<slug:organisation>/", partners.partner_view, name="partner"),
    path(
        "s/<slug:slug>/partner/<slug:organisation>/accept/",
        partners.partner_accept,
        name="partner_accept",
    ),
    path(
        "s/<slug:slug>/partner/<slug:organisation>/decline/",
        partners.partner_decline,
        name="partner_decline",
    ),
    path(
        "s/<slug:slug>/partner/<slug:organisation>/export.csv",
        partners.partner_export,
        name="partner_export",
    ),
    path("s/<slug:slug>/sources/<int:pk>/rename/", charts.source_rename, name="source_rename"),
    path("s/<slug:slug>/sources/<int:pk>/delete/", charts.source_delete, name="source_delete"),
    # Organisations, members and invitations (views/members.py).
    path("organisations/new/", members.new_organisation, name="new_organisation"),
    re_path(rf"^o/{ORG}/$", members.organisation_page, name="organisation"),
    re_path(rf"^o/{ORG}/invite/$", members.invite, name="invite"),
    re_path(rf"^o/{ORG}/invitations/revoke/$", members.revoke, name="revoke_invitation"),
    re_path(rf"^o/{ORG}/members/role/$", members.change_role, name="change_role"),
    re_path(rf"^o/{ORG}/members/remove/$", members.remove_member, name="remove_member"),
    re_path(rf"^o/{ORG}/leave/$", members.leave, name="leave"),
    # Erasure requests (editors) and the audit log (owners).
    re_path(rf"^o/{ORG}/erasure/$", privacy.erasure, name="erasure"),
    re_path(rf"^o/{ORG}/audit/$", audit.audit_log, name="audit"),
    re_path(rf"^o/{ORG}/preview/$", markdown.markdown_preview, name="markdown_preview"),
    re_path(rf"^o/{ORG}/pictures/$", pictures.pictures_page, name="pictures"),
    path("o/<slug:slug>/pictures/<int:pk>/delete/", pictures.picture_delete, name="picture_delete"),
    re_path(
        r"^invitation/(?P<token>[-a-zA-Z0-9_]{16,64})/$", members.invitation, name="invitation"
    ),
    # Statements: the list and creation per organisation, the rest per statement.
    path("o/<slug:organisation>/statements/", statements.statement_list, name="statements"),
    path("o/<slug:organisation>/statements/new/", statements.statement_new, name="statement_new"),
    path("s/<slug:slug>/", statements.statement_detail, name="statement"),
    path("s/<slug:slug>/copy/", statements.statement_copy, name="statement_copy"),
    path("s/<slug:slug>/settings/", statements.statement_settings, name="statement_settings"),
    *(
        path(
            f"s/<slug:slug>/{action}/",
            statements.statement_status,
            {"action": action},
            name=f"statement_{action}",
        )
        for action in statements.TRANSITIONS
    ),
    path("s/<slug:slug>/versions/new/", versions.version_new, name="version_new"),
    path("s/<slug:slug>/versions/<str:language>/", versions.version_edit, name="version"),
    # Events: the list and creation per organisation, the rest per event (views/events.py),
    # its attendees and the emails to them (views/event_people.py).
    path("o/<slug:slug>/events/", events.event_list, name="events"),
    path("o/<slug:slug>/events/new/", events.event_new, name="event_new"),
    path("events/<int:pk>/", events.event_detail, name="event"),
    path("events/<int:pk>/edit/", events.event_edit, name="event_edit"),
    path("events/<int:pk>/status/", events.event_status, name="event_status"),
    path("events/<int:pk>/publish/", events.event_publish, name="event_publish"),
    path("events/<int:pk>/delete/", events.event_delete, name="event_delete"),
    path("events/<int:pk>/after/", events.event_after, name="event_after"),
    path("events/<int:pk>/print/", paper.event_print, name="event_print"),
    path(
        "events/<int:pk>/print/<int:document>/",
        paper.event_download,
        name="event_document_download",
    ),
    path("events/<int:pk>/versions/new/", events.version_new, name="event_version_new"),
    path("events/<int:pk>/versions/<str:language>/", events.version_edit, name="event_version"),
    path(
        "events/<int:pk>/versions/<str:language>/delete/",
        events.version_delete,
        name="event_version_delete",
    ),
    path("events/<int:pk>/attendees/", event_people.attendees, name="event_attendees"),
    path("events/<int:pk>/attendees/held/", event_people.held, name="event_held"),
    path("events/<int:pk>/attendees/check-in/", event_people.check_in, name="event_check_in"),
    path(
        "events/<int:pk>/attendees/check-in-list/",
        event_people.check_in_list,
        name="event_check_in_list",
    ),
    path(
        "events/<int:pk>/attendees/export.csv",
        event_people.export,
        name="event_attendees_export",
    ),
    path("events/<int:pk>/emails/", event_people.message_list, name="event_messages"),
    path("events/emails/<int:pk>/", event_people.message_page, name="event_message"),
    path("events/emails/<int:pk>/test/", event_people.message_test, name="event_message_test"),
    path("events/emails/<int:pk>/send/", event_people.message_send, name="event_message_send"),
    # Funds: the list and opening one per organisation, the rest per fund (views/funds.py);
    # its ledger, pledges and bank transfers, and each line's changes (views/fund_ledger.py).
    path("o/<slug:slug>/funds/", funds.fund_list, name="funds"),
    path("o/<slug:slug>/funds/new/", funds.fund_new, name="fund_new"),
    path("funds/<int:pk>/", funds.fund_detail, name="fund"),
    path("funds/<int:pk>/settings/", funds.fund_edit, name="fund_edit"),
    path("funds/<int:pk>/publish/", funds.fund_publish, name="fund_publish"),
    path("funds/<int:pk>/close/", funds.fund_close, name="fund_close"),
    path("funds/<int:pk>/reopen/", funds.fund_reopen, name="fund_reopen"),
    path("funds/<int:pk>/delete/", funds.fund_delete, name="fund_delete"),
    path("funds/<int:pk>/versions/new/", fund_versions.version_new, name="fund_version_new"),
    path(
        "funds/<int:pk>/versions/<str:language>/", fund_versions.version_edit, name="fund_version"
    ),
    path(
        "funds/<int:pk>/versions/<str:language>/delete/",
        fund_versions.version_delete,
        name="fund_version_delete",
    ),
    path("funds/<int:pk>/ledger/", fund_ledger.ledger, name="fund_ledger"),
    path("funds/<int:pk>/ledger/new/", fund_ledger.entry_new, name="fund_entry_new"),
    path("funds/<int:pk>/ledger/export.csv", fund_exports.export, name="fund_ledger_export"),
    path(
        "funds/<int:pk>/ledger/export.xlsx",
        fund_exports.export,
        {"spreadsheet": True},
        name="fund_ledger_export_xlsx",
    ),
    path("funds/<int:pk>/pledges/", fund_ledger.pledges, name="fund_pledges"),
    path("funds/<int:pk>/transfers/", fund_ledger.transfers, name="fund_transfers"),
    path("funds/entries/<int:pk>/void/", fund_ledger.entry_void, name="fund_entry_void"),
    path("funds/entries/<int:pk>/receive/", fund_ledger.entry_receive, name="fund_entry_receive"),
    path("funds/entries/<int:pk>/lapse/", fund_ledger.entry_lapse, name="fund_entry_lapse"),
    path("funds/entries/<int:pk>/release/", fund_ledger.entry_release, name="fund_entry_release"),
    # Comments: the organisation's moderation queue, a reply as the organisation, hiding a
    # commenter (views/comment_queue.py); every comment, and the forms held before their
    # confirmation was sent (views/comment_list.py); the moderation settings, and a statement's
    # comment policy (views/comment_settings.py).
    path("o/<slug:slug>/comments/", comment_queue.queue, name="comments"),
    path("o/<slug:slug>/comments/<int:pk>/reply/", comment_queue.reply, name="comment_reply"),
    path("o/<slug:slug>/comments/<int:pk>/hide/", comment_queue.hide, name="comment_hide"),
    path("o/<slug:slug>/comments/all/", comment_list.comment_list, name="comment_list"),
    path("o/<slug:slug>/comments/held/", comment_list.held_forms, name="comment_held_forms"),
    path(
        "o/<slug:slug>/comments/settings/",
        comment_settings.comment_settings,
        name="comment_settings",
    ),
    path(
        "o/<slug:slug>/comments/hidden/<int:pk>/show/",
        comment_settings.unhide,
        name="comment_unhide",
    ),
    path("s/<slug:slug>/comments/", comment_settings.statement_comments, name="statement_comments"),
    path(
        "s/<slug:slug>/comments/close/",
        comment_settings.statement_comments_close,
        name="statement_comments_close",
    ),
    path(
        "s/<slug:slug>/comments/reopen/",
        comment_settings.statement_comments_reopen,
        name="statement_comments_reopen",
    ),
]
