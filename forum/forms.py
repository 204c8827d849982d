from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.textinput import clean_line
from forum.models import PostReport

CONTENT_MAX = 10_000
SUBJECT_MIN = 4
SUBJECT_MAX = 120


def _content_field(label, placeholder) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": placeholder}),
        error_messages={"required": _("Please write something.")},
        help_text=_("Markdown works: **bold**, lists, [links](https://example.org). HTML is shown as text."),
    )


class AskForm(forms.Form):
    forum = forms.TypedChoiceField(label=_("Forum"), coerce=int, choices=())
    subject = forms.CharField(
        label=_("Your question"),
        min_length=SUBJECT_MIN,
        max_length=SUBJECT_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("For example: how are party dues calculated for retirees?")}),
        error_messages={"required": _("Please give your question a title.")},
    )
    content = _content_field(_("Details"), _("Describe your situation so others can answer precisely."))

    def __init__(self, *args, forums=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].choices = [(f.pk, f.name) for f in forums]

    def clean_subject(self) -> str:
        return clean_line(self.cleaned_data["subject"])  # no bidi or invisible characters in titles


class ReplyForm(forms.Form):
    content = _content_field(_("Your reply"), _("Write your reply"))


class EditForm(forms.Form):
    subject = forms.CharField(label=_("Title"), min_length=SUBJECT_MIN, max_length=SUBJECT_MAX, required=False)
    content = _content_field(_("Text"), "")

    def __init__(self, *args, with_subject: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_subject:
            self.fields["subject"].required = True
        else:
            del self.fields["subject"]

    def clean_subject(self) -> str:
        return clean_line(self.cleaned_data.get("subject") or "")


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=PostReport.Reason.choices, widget=forms.RadioSelect)
    detail = forms.CharField(
        label=_("Details (optional)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the Q&A"), max_length=100, required=False)
