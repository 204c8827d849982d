from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core import ratelimit
from core.services.audit import client_ip


class LoginForm(AuthenticationForm):
    """Username or mobile number; failures are counted per account and per address."""

    username = forms.CharField(
        label=_("Username or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": _("The username/mobile number or password is incorrect."),
        "inactive": _("This account has been disabled."),
        "throttled": ngettext_lazy(
            "Too many failed log-in attempts. Try again in %(minutes)d minute.",
            "Too many failed log-in attempts. Try again in %(minutes)d minutes.",
            "minutes",
        ),
    }

    def _throttle_keys(self, login: str) -> list[tuple[str, str, int]]:
        limit = settings.LOGIN_FAILURE_LIMIT
        # An address gets more tries than an account: many members share a venue's network.
        return [("login-user", login.lower(), limit), ("login-ip", client_ip(self.request) or "-", limit * 4)]

    def clean(self):
        login = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password")
        if not login or password is None:
            return self.cleaned_data
        keys = self._throttle_keys(login)
        window = settings.LOGIN_FAILURE_WINDOW
        if any(ratelimit.is_limited(scope, ident, limit=limit) for scope, ident, limit in keys):
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": max(1, window // 60)}
            )
        self.user_cache = authenticate(self.request, username=login, password=password)
        if self.user_cache is None:
            for scope, ident, _limit in keys:
                ratelimit.hit(scope, ident, window=window)
            raise self.get_invalid_login_error()
        ratelimit.reset("login-user", login.lower())
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class NoticeForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Send to"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
