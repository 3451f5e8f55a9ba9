"""Logging in with a password and then, if the account has it, a two-factor code."""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from undersigned.accounts import security
from undersigned.accounts.forms import THROTTLED, CodeForm, ThrottledAuthenticationForm
from undersigned.accounts.signals import AFTER_ENROLMENT, VERIFIED
from undersigned.audit.models import record
from undersigned.lib import totp

_PENDING = "_two_factor_pending"
_SETUP_SECRET = "_two_factor_setup_secret"  # noqa: S105 - a session key's name
# How long the code step waits after the password step.
_PENDING_SECONDS = 300


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = False

    def form_valid(self, form: ThrottledAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if security.has_two_factor(user):
            # Failures are forgotten only once the code is right too: knowing the password
            # must not reset the count of wrong codes.
            self.request.session[_PENDING] = {
                "user": user.pk,
                "backend": user.backend,  # type: ignore[attr-defined]
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("two_factor")
        security.forget_failures(user.get_username())
        return super().form_valid(form)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the app, or a recovery code."""
    pending = request.session.get(_PENDING)
    if not pending or time.time() - pending["at"] > _PENDING_SECONDS:
        request.session.pop(_PENDING, None)
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if security.is_throttled(request, user.get_username()):
            form.add_error(None, THROTTLED)
        elif security.check_code(user, form.cleaned_data["code"]):
            del request.session[_PENDING]
            login(request, user, backend=pending["backend"])
            request.session[VERIFIED] = True
            security.forget_failures(user.get_username())
            target = pending["next"]
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
        else:
            security.note_failure(request, user.get_username(), "code")
            form.add_error("code", _("That code is not right, or was already used."))
    return render(request, "accounts/two_factor.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_security(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication on or off, or make new recovery codes."""
    user = request.user
    enabled = security.has_two_factor(user)
    form = CodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if not enabled and action == "enable":
            secret = request.session.get(_SETUP_SECRET, "")
            codes = security.enable_two_factor(user, secret, code) if secret else None
            if codes is not None:
                request.session.pop(_SETUP_SECRET, None)
                request.session[VERIFIED] = True
                return _show_recovery_codes(request, codes, then=_after_enrolment(request))
        elif enabled and action in ("disable", "recovery") and security.check_code(user, code):
            if action == "recovery":
                codes = security.new_recovery_codes(user)
                record("auth.recovery_codes_renewed", actor=user)
                return _show_recovery_codes(request, codes)
            if settings.TWO_FACTOR_REQUIRED:
                messages.error(request, _("Two-factor authentication is required on this site."))
                return redirect("account_security")
            security.disable_two_factor(user)
            request.session[VERIFIED] = False
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("account_security")
        form.add_error("code", _("That code is not right, or was already used."))
    context: dict[str, object] = {"enabled": enabled, "form": form}
    if not enabled:
        secret = request.session.setdefault(_SETUP_SECRET, totp.new_secret())
        uri = totp.uri(secret, user.get_username(), settings.TWO_FACTOR_ISSUER)
        context.update(
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            uri=uri,
            qr=segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"),
            required=settings.TWO_FACTOR_REQUIRED,
        )
    return render(request, "accounts/security.html", context)


def _show_recovery_codes(request: HttpRequest, codes: list[str], then: str = "") -> HttpResponse:
    then = then or reverse("account_security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "then": then})


def _after_enrolment(request: HttpRequest) -> str:
    """The page someone was going to when they were sent to set up two-factor, if any."""
    target = request.session.pop(AFTER_ENROLMENT, "")
    if isinstance(target, str) and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """The admin logs in through the same two steps as everyone."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))
