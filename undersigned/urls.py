from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http.response import HttpResponseBase
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from undersigned.accounts import views as accounts
from undersigned.lib.headers import csp_report
from undersigned.mailings.views import mailbox
from undersigned.organisations.views import accent_css, logo
from undersigned.pictures.views import picture
from undersigned.public.views import (
    comment_links,
    comments,
    events,
    feeds,
    follow,
    fund_payments,
    funds,
    notices,
    paper,
    signer,
    signing,
    thermometer,
    updates,
)
from undersigned.public.views import statements as public
from undersigned.public.views.cards import card
from undersigned.updates import bounces

# A language tag in a URL: en, es, qu, es-419, zh-Hant-TW.
LANG = r"(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"
EVENT = r"(?P<pk>[0-9]{1,18})"
FUND = r"(?P<pk>[0-9]{1,18})"
COMMENT = r"(?P<pk>[0-9]{1,18})"
TOKEN = r"(?P<token>[-a-zA-Z0-9_]{16,64})"  # noqa: S105 - a URL pattern, not a secret


def _moved(to: str) -> Callable[..., HttpResponseBase]:
    """A permanent redirect, for GET and HEAD, to the dashboard page that took over."""
    return RedirectView.as_view(pattern_name=to, permanent=True, http_method_names=["get", "head"])


urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("csp-report/", csp_report, name="csp_report"),
    re_path(rf"^s/{SLUG}/$", public.statement_default, name="statement_default"),
    re_path(rf"^s/{SLUG}/confirm/{TOKEN}/$", signing.confirm, name="confirm"),
    re_path(rf"^s/{SLUG}/withdraw/{TOKEN}/$", signing.withdraw, name="withdraw"),
    path("notices/<int:pk>/hide/", notices.hide_notice, name="hide_notice"),
    re_path(rf"^s/{SLUG}/signature/{TOKEN}/$", signer.my_signature, name="my_signature"),
    re_path(rf"^s/{SLUG}/signature/{TOKEN}/data\.json$", signer.my_data, name="my_data"),
    re_path(rf"^s/{SLUG}/count\.json$", public.count_json, name="count_json"),
    # A delivery pack's count and hash, for whoever received it (its QR code leads here).
    re_path(rf"^s/{SLUG}/pack/(?P<pk>[0-9]{{1,18}})/$", paper.pack_check, name="pack_check"),
    # The organiser pages' old addresses: everything an organiser does is under /dashboard/.
    re_path(rf"^s/{SLUG}/manage/$", _moved("dashboard:statement"), name="manage_moved"),
    re_path(
        rf"^s/{SLUG}/manage/signatures\.csv$",
        _moved("dashboard:signatures_export"),
        name="export_moved",
    ),
    re_path(rf"^s/{SLUG}/manage/watch/$", _moved("dashboard:watch"), name="watch_moved"),
    re_path(rf"^s/{SLUG}/{LANG}/$", public.statement_page, name="statement"),
    re_path(
        rf"^s/{SLUG}/{LANG}/beside/(?P<other>[A-Za-z]{{2,3}}(?:-[A-Za-z0-9]{{1,8}})*)/$",
        public.beside,
        name="beside",
    ),
    re_path(rf"^s/{SLUG}/{LANG}/signatories/$", public.signatories, name="signatories"),
    # The link-preview picture of a statement without a cover picture.
    re_path(rf"^s/{SLUG}/{LANG}/card\.png$", card, name="card"),
    re_path(rf"^s/{SLUG}/{LANG}/updates/$", updates.update_list, name="updates"),
    re_path(
        rf"^s/{SLUG}/{LANG}/updates/(?P<pk>[0-9]{{1,18}})/$", updates.update_detail, name="update"
    ),
    # Comments under a statement and under its updates, their forms, and the links emailed to
    # a commenter (undersigned.comments).
    re_path(
        rf"^s/{SLUG}/{LANG}/comments/$", comments.statement_comments, name="statement_comments"
    ),
    re_path(rf"^s/{SLUG}/{LANG}/comments/sent/$", comments.sent, name="comment_sent"),
    re_path(rf"^s/{SLUG}/{LANG}/comments/reported/$", comments.reported, name="comment_reported"),
    re_path(
        rf"^s/{SLUG}/{LANG}/comments/{COMMENT}/reply/$",
        comments.comment_reply,
        name="comment_reply",
    ),
    re_path(
        rf"^s/{SLUG}/{LANG}/comments/{COMMENT}/report/$",
        comments.comment_report,
        name="comment_report",
    ),
    re_path(
        rf"^s/{SLUG}/{LANG}/updates/(?P<pk>[0-9]{{1,18}})/comments/$",
        comments.update_comments,
        name="update_comments",
    ),
    re_path(rf"^c/confirm/{TOKEN}/$", comment_links.confirm, name="comment_confirm"),
    re_path(rf"^c/manage/{TOKEN}/$", comment_links.manage, name="comment_manage"),
    re_path(rf"^s/{SLUG}/{LANG}/updates\.atom$", feeds.statement_atom, name="updates_atom"),
    re_path(rf"^s/{SLUG}/{LANG}/updates\.json$", feeds.statement_json, name="updates_json"),
    re_path(
        r"^o/(?P<organisation>[-a-zA-Z0-9_]+)/updates\.atom$",
        feeds.organisation_atom,
        name="organisation_atom",
    ),
    re_path(
        r"^o/(?P<organisation>[-a-zA-Z0-9_]+)/updates\.json$",
        feeds.organisation_json,
        name="organisation_json",
    ),
    re_path(
        r"^o/(?P<organisation>[-a-zA-Z0-9_]+)/events/$",
        events.organisation_events,
        name="organisation_events",
    ),
    re_path(
        r"^o/(?P<organisation>[-a-zA-Z0-9_]+)/events\.ics$",
        events.organisation_ics,
        name="organisation_ics",
    ),
    re_path(
        r"^o/(?P<organisation>[-a-zA-Z0-9_]+)/events\.atom$",
        events.organisation_events_atom,
        name="organisation_events_atom",
    ),
    re_path(rf"^e/{EVENT}/$", events.event_default, name="event_default"),
    re_path(rf"^e/{EVENT}/event\.ics$", events.event_ics, name="event_ics"),
    re_path(rf"^e/{EVENT}/confirm/{TOKEN}/$", events.confirm, name="event_confirm"),
    re_path(
        rf"^e/{EVENT}/cancel/(?P<token>[-a-zA-Z0-9_:]{{2,120}})/$",
        events.cancel,
        name="event_cancel",
    ),
    re_path(rf"^e/{EVENT}/{LANG}/$", events.event_page, name="event"),
    re_path(rf"^e/{EVENT}/{LANG}/rsvp/$", events.rsvp, name="event_rsvp"),
    re_path(rf"^e/{EVENT}/{LANG}/check-email/$", events.check_email, name="event_check_email"),
    re_path(rf"^e/{EVENT}/{LANG}/confirmed/$", events.confirmed, name="event_confirmed"),
    # A fighting fund: its page in each language with the thermometer, the thermometer as an
    # image for other sites' pages, a pledge and its confirmation, a bank transfer's reference.
    re_path(rf"^f/{FUND}/$", funds.fund_default, name="fund_default"),
    re_path(
        rf"^f/{FUND}/thermometer\.svg$", thermometer.thermometer_svg, name="fund_thermometer_svg"
    ),
    re_path(
        rf"^f/{FUND}/thermometer\.png$", thermometer.thermometer_png, name="fund_thermometer_png"
    ),
    re_path(rf"^f/{FUND}/pledge/{TOKEN}/$", funds.pledge_confirm, name="fund_pledge_confirm"),
    re_path(rf"^f/{FUND}/{LANG}/$", funds.fund_page, name="fund"),
    re_path(rf"^f/{FUND}/{LANG}/pledge/$", funds.pledge, name="fund_pledge"),
    re_path(rf"^f/{FUND}/{LANG}/check-email/$", funds.check_email, name="fund_check_email"),
    re_path(rf"^f/{FUND}/{LANG}/pledged/$", funds.pledged, name="fund_pledged"),
    re_path(rf"^f/{FUND}/{LANG}/transfer/$", funds.transfer, name="fund_transfer"),
    re_path(
        rf"^f/{FUND}/{LANG}/transfer/(?P<code>[A-Za-z0-9]{{4,20}})/$",
        funds.transfer_details,
        name="fund_transfer_details",
    ),
    re_path(rf"^s/{SLUG}/{LANG}/sign/$", signing.sign, name="sign"),
    re_path(rf"^s/{SLUG}/{LANG}/follow/$", follow.follow, name="follow"),
    re_path(
        rf"^s/{SLUG}/{LANG}/follow/check-email/$", follow.check_email, name="follow_check_email"
    ),
    re_path(rf"^s/{SLUG}/{LANG}/follow/confirmed/$", follow.confirmed, name="follow_confirmed"),
    re_path(rf"^s/{SLUG}/follow/confirm/{TOKEN}/$", follow.confirm, name="follow_confirm"),
    re_path(rf"^s/{SLUG}/{LANG}/check-email/$", signing.check_email, name="check_email"),
    re_path(rf"^s/{SLUG}/{LANG}/thanks/$", signing.thanks, name="thanks"),
    re_path(rf"^s/{SLUG}/{LANG}/withdrawn/$", signing.withdrawn, name="withdrawn"),
    re_path(r"^u/(?P<token>[-a-zA-Z0-9_:]{8,120})/$", updates.unsubscribe, name="unsubscribe"),
    path("hooks/bounces/", bounces.bounce_hook, name="bounce_hook"),
    # A fund's card payments: on to the provider's page, back from it, and the provider's
    # webhook, the only thing that records a payment (undersigned.funds.payments).
    re_path(rf"^f/{FUND}/{LANG}/give/$", fund_payments.fund_give, name="fund_give"),
    re_path(rf"^f/{FUND}/{LANG}/thanks/$", fund_payments.fund_thanks, name="fund_thanks"),
    path("funds/webhook/stripe/", fund_payments.fund_webhook, name="fund_webhook"),
    path("share/mastodon/", signing.share_mastodon, name="share_mastodon"),
    path("demo/mailbox/", mailbox, name="mailbox"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/two-factor/", accounts.two_factor, name="two_factor"),
    path("accounts/security/", accounts.account_security, name="account_security"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own: its login goes through the same two steps as everyone's.
    path("admin/login/", accounts.admin_login),
    path("dashboard/", include("undersigned.dashboard.urls")),
    path("admin/", admin.site.urls),
    # Organisation logos; in production the reverse proxy serves /media/ itself.
    re_path(r"^media/logos/(?P<path>[^/]+)$", logo, name="logo"),
    # Pictures (covers, pictures inside texts), through the storage API.
    re_path(r"^media/pictures/(?P<name>[^/]+)$", picture, name="picture"),
    # An organisation's accent colour, as a stylesheet its statements' pages link.
    re_path(r"^accent/(?P<colour>[0-9a-f]{6})\.css$", accent_css, name="accent_css"),
]
