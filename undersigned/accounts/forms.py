from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from undersigned.accounts import security
from undersigned.audit.models import record

THROTTLED = _(
    "Too many failed attempts for this account or from this connection. "
    "Wait a quarter of an hour, then try again."
)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to check any password while the account name or the client is throttled.

    The name is counted as the login reads it (security.login_name): any spelling that logs in
    to an account counts against that account.
    """

    def clean_username(self) -> str:
        return security.login_name(str(self.cleaned_data["username"]))

    def clean(self) -> dict[str, Any]:
        # Empty when the name field refused what was typed: only the client is counted then.
        username = str(self.cleaned_data.get("username", ""))
        request = self.request
        assert request is not None, "the login view always passes the request"  # noqa: S101
        if security.is_throttled(request, username):
            record("auth.login_throttled")
            raise forms.ValidationError(THROTTLED, code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            security.note_failure(request, username, "password")
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )
