from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from undersigned.mailings.views import mailbox
from undersigned.organisations.views import logo
from undersigned.statements.views import organiser, public, signing

# A language tag in a URL: en, es, qu, es-419, zh-Hant-TW.
LANG = r"(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"
TOKEN = r"(?P<token>[-a-zA-Z0-9_]{16,64})"  # noqa: S105 - a URL pattern, not a secret

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    re_path(rf"^s/{SLUG}/$", public.statement_default, name="statement_default"),
    re_path(rf"^s/{SLUG}/confirm/{TOKEN}/$", signing.confirm, name="confirm"),
    re_path(rf"^s/{SLUG}/withdraw/{TOKEN}/$", signing.withdraw, name="withdraw"),
    re_path(rf"^s/{SLUG}/count\.json$", public.count_json, name="count_json"),
    re_path(rf"^s/{SLUG}/manage/$", organiser.manage, name="manage"),
    re_path(rf"^s/{SLUG}/manage/signatures\.csv$", organiser.export_csv, name="export_csv"),
    re_path(rf"^s/{SLUG}/{LANG}/$", public.statement_page, name="statement"),
    re_path(
        rf"^s/{SLUG}/{LANG}/beside/(?P<other>[A-Za-z]{{2,3}}(?:-[A-Za-z0-9]{{1,8}})*)/$",
        public.beside,
        name="beside",
    ),
    re_path(rf"^s/{SLUG}/{LANG}/signatories/$", public.signatories, name="signatories"),
    re_path(rf"^s/{SLUG}/{LANG}/sign/$", signing.sign, name="sign"),
    re_path(rf"^s/{SLUG}/{LANG}/check-email/$", signing.check_email, name="check_email"),
    re_path(rf"^s/{SLUG}/{LANG}/thanks/$", signing.thanks, name="thanks"),
    re_path(rf"^s/{SLUG}/{LANG}/withdrawn/$", signing.withdrawn, name="withdrawn"),
    path("share/mastodon/", signing.share_mastodon, name="share_mastodon"),
    path("demo/mailbox/", mailbox, name="mailbox"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Organisation logos; in production the reverse proxy serves /media/ itself.
    re_path(r"^media/logos/(?P<path>[^/]+)$", logo, name="logo"),
]
