from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import Area, PartyOrg
from core.services.trees import area_placement_check, party_org_placement_check


class LoginForm(AuthenticationForm):
    """Username or mobile number; failures are throttled at every door (core/signin_throttle.py)."""

    username = forms.CharField(
        label=_("Username or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": _("The username/mobile number or password is incorrect."),
        "inactive": _("This account has been disabled."),
    }


class NoticeForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Send to"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class AreaAdminForm(forms.ModelForm):
    """The admin's area form: checks the place in the tree the way core.services.trees will."""

    class Meta:
        model = Area
        fields = ["name", "code", "level", "parent", "households", "population", "latitude", "longitude"]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors.keys() & {"code", "level", "parent"}:
            return data
        level = data.get("level", self.instance.level)
        try:
            area_placement_check(
                area=self.instance if self.instance.pk else None,
                level=level,
                parent=data.get("parent"),
                code=data.get("code", ""),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


class PartyOrgAdminForm(forms.ModelForm):
    class Meta:
        model = PartyOrg
        fields = ["name", "code", "kind", "parent", "area"]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors.keys() & {"code", "parent"}:
            return data
        try:
            party_org_placement_check(
                org=self.instance if self.instance.pk else None, parent=data.get("parent"), code=data.get("code", "")
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data
