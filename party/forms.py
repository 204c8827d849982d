from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Area, PartyOrg
from party.models import (
    CommitteePost,
    Meeting,
    MeetingKind,
    MemberRecord,
    MobileRegistration,
    OrgProfile,
    TalentRole,
    UnitKind,
)

DATE = forms.DateInput(attrs={"type": "date"})


class OrgProfileForm(forms.ModelForm):
    class Meta:
        model = OrgProfile
        fields = [
            "unit_kind",
            "unit_name",
            "founded_on",
            "term_started_on",
            "term_years",
            "address",
            "contact_name",
            "contact_phone",
        ]
        widgets = {"founded_on": DATE, "term_started_on": DATE}


class MemberRecordForm(forms.ModelForm):
    talent_roles = forms.MultipleChoiceField(
        label=_("Party-affairs talent"),
        choices=TalentRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = MemberRecord
        fields = [
            "name",
            "gender",
            "birth_year",
            "education",
            "occupation",
            "work_unit",
            "phone",
            "status",
            "joined_on",
            "full_member_on",
            "skills",
        ]
        widgets = {"joined_on": DATE, "full_member_on": DATE, "phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["talent_roles"].initial = list(self.instance.talent.values_list("role", flat=True))


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("Membership"), required=False, choices=[("", _("All"))] + MemberRecord.Status.choices
    )
    occupation = forms.ChoiceField(
        label=_("Occupation"),
        required=False,
        choices=[("", _("All")), ("new_employment", _("New employment groups"))]
        + MemberRecord._meta.get_field("occupation").choices,
    )
    mobile = forms.BooleanField(label=_("Mobile members only"), required=False)


def caring_orgs() -> QuerySet[PartyOrg]:
    """Where a mobile member can ask to be cared for: the new employment groups' branches and the
    towns' party committees (which hand them on to a branch near where they live)."""
    return (
        PartyOrg.objects.filter(
            Q(profile__unit_kind=UnitKind.NEW_EMPLOYMENT) | Q(kind=PartyOrg.Kind.COMMITTEE, area__level=Area.Level.TOWN)
        )
        .select_related("area")
        .order_by("path")
    )


class MobileRegistrationForm(forms.ModelForm):
    caring_org = forms.ModelChoiceField(label=_("Branch to care for you"), queryset=PartyOrg.objects.none())

    class Meta:
        model = MobileRegistration
        fields = [
            "name",
            "gender",
            "birth_year",
            "phone",
            "status",
            "joined_on",
            "occupation",
            "platform",
            "registered_with",
            "lives_in",
            "works_at",
            "caring_org",
        ]
        widgets = {
            "joined_on": DATE,
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "birth_year": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caring_org"].queryset = caring_orgs()
        self.fields["status"].choices = MemberRecord.Status.choices

    def clean_birth_year(self) -> int:
        year = self.cleaned_data["birth_year"]
        if not 1920 <= year <= timezone.localdate().year - 18:
            raise forms.ValidationError(_("Enter the year you were born."))
        return year


class TransferForm(forms.Form):
    to_org = forms.ModelChoiceField(label=_("To"), queryset=PartyOrg.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, member: MemberRecord, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = PartyOrg.objects.exclude(pk=member.branch_id).order_by("path")


class TransferOutForm(forms.Form):
    destination = forms.CharField(
        label=_("To (outside the city)"),
        max_length=120,
        help_text=_("The party organisation outside the city that receives the member's relationship"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class DeceasedForm(forms.Form):
    died_on = forms.DateField(label=_("Died on"), widget=forms.DateInput(attrs={"type": "date"}))
    confirm = forms.BooleanField(
        label=_("I confirm the member has died; the record will be closed and the account disabled")
    )


class DecisionForm(forms.Form):
    reply = forms.CharField(label=_("Reply"), max_length=200, required=False)


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label=_("What should be corrected"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MeetingForm(forms.ModelForm):
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=MemberRecord.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Meeting
        fields = ["kind", "held_on", "topic", "place", "expected", "present", "notes"]
        widgets = {"held_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, org: PartyOrg, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = MeetingKind.choices
        self.fields["attendees"].queryset = MemberRecord.objects.filter(
            branch=org, state=MemberRecord.State.ACTIVE
        ).order_by("name")
        if self.instance.pk:
            self.fields["attendees"].initial = list(self.instance.attendees.values_list("pk", flat=True))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (.xlsx)"))
    mode = forms.ChoiceField(
        label=_("How to import"),
        choices=[
            ("check", _("Only check the rows, write nothing")),
            ("all", _("Write everything, or nothing if any row has an error")),
            ("skip", _("Write the good rows, leave out the rows with errors")),
        ],
        initial="check",
        widget=forms.RadioSelect,
    )


class CommitteePostForm(forms.Form):
    """Give a member a post. The member list is narrowed by a name search (an organisation high in
    the tree has thousands of candidates); validation checks against all of them."""

    SHOWN = 200

    member = forms.ModelChoiceField(label=_("Member"), queryset=MemberRecord.objects.none())
    post = forms.ChoiceField(label=_("Post"), choices=CommitteePost.Post.choices)
    since = forms.DateField(label=_("Since"), required=False, widget=DATE)

    def __init__(self, *args, candidates: QuerySet[MemberRecord], search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = candidates
        shown = candidates.select_related("branch").order_by("branch__path", "name", "id")
        if search:
            shown = shown.filter(name__contains=search)
        field.widget.choices = [("", "---------")] + [
            (m.pk, f"{m.name} · {m.branch.name}" if m.branch_id else m.name) for m in shown[: self.SHOWN]
        ]


class CommitteeEndForm(forms.Form):
    until = forms.DateField(label=_("Until"), required=False, widget=DATE)
