from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Area, PartyOrg
from streaming.access import venues_invitable_by
from streaming.models import LiveEvent, Venue
from streaming.services.chat import ANNOUNCEMENT_MAX_CHARS
from streaming.services.venues import MAX_HEADCOUNT, MAX_VENUE_CAPACITY, members_of_venue

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VenueChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Venue) -> str:
        return obj.name


class MemberChoiceField(forms.ModelMultipleChoiceField):
    """Members by their full name, as everywhere else on the site."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name()


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    agenda = forms.CharField(
        label=_("Agenda"),
        required=False,
        max_length=2000,
        help_text=_("One item per line, e.g. “09:00 Opening”. Shown on the venues' screens while they wait."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    scheduled_start = forms.DateTimeField(label=_("Starts"), widget=DATETIME_WIDGET)
    scheduled_end = forms.DateTimeField(label=_("Ends"), widget=DATETIME_WIDGET)
    audience = forms.ChoiceField(label=_("Who may watch"), choices=LiveEvent.Audience.choices)
    main_venue = forms.ModelChoiceField(label=_("Main venue"), queryset=Venue.objects.none(), required=False)
    venues = VenueChoiceField(
        label=_("Invited branch venues"),
        queryset=Venue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organiser, event: LiveEvent | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        invitable = venues_invitable_by(organiser)
        if event is not None:  # venues invited before stay choosable
            invitable = Venue.objects.filter(pk__in=invitable.values("pk")) | Venue.objects.filter(
                invitations__event=event
            )
        main_venue = cast(forms.ModelChoiceField, self.fields["main_venue"])
        main_venue.queryset = invitable.filter(kind=Venue.Kind.MAIN).distinct().order_by("name")
        venues = cast(forms.ModelMultipleChoiceField, self.fields["venues"])
        venues.queryset = invitable.filter(kind=Venue.Kind.BRANCH).distinct().order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("scheduled_start"), data.get("scheduled_end")
        if start and end and end <= start:
            self.add_error("scheduled_end", _("The event must end after it starts."))
        return data


class CheckInForm(forms.Form):
    headcount = forms.IntegerField(
        label=_("People in the room"),
        min_value=1,
        max_value=MAX_HEADCOUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    photo = forms.FileField(
        label=_("Photo of the room (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
    )
    members = MemberChoiceField(
        label=_("Party members present"),
        queryset=Venue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, venue: Venue, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        members = cast(forms.ModelMultipleChoiceField, self.fields["members"])
        members.queryset = members_of_venue(venue)


class AnnouncementForm(forms.Form):
    text = forms.CharField(label=_("Announcement"), max_length=ANNOUNCEMENT_MAX_CHARS)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ForumQuestionForm(forms.Form):
    forum = forms.ChoiceField(label=_("Forum"))
    answer = forms.CharField(
        label=_("The answer given live"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )

    def __init__(self, *args, forums, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.forums = {str(f.pk): f for f in forums}
        cast(forms.ChoiceField, self.fields["forum"]).choices = [(str(f.pk), f.name) for f in forums]

    def clean_forum(self):
        return self.forums[self.cleaned_data["forum"]]


class VenueForm(forms.ModelForm):
    """A venue as the operations centre keeps it. Its operators are the venue-operator accounts of
    its party organisation (given in the accounts' roles), so a branch venue needs that organisation."""

    class Meta:
        model = Venue
        fields = ["name", "kind", "party_org", "area", "address", "capacity"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["party_org"].help_text = _("Its venue operators (accounts with that role there) run the big screen")
        self.fields["capacity"].help_text = _("Seats in the room; 0 if not known")
        cast(forms.ModelChoiceField, self.fields["party_org"]).queryset = PartyOrg.objects.order_by("path")
        cast(forms.ModelChoiceField, self.fields["area"]).queryset = Area.objects.order_by("path")

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the venue a name."))
        return name

    def clean_capacity(self) -> int:
        capacity = self.cleaned_data["capacity"]
        if capacity > MAX_VENUE_CAPACITY:
            raise forms.ValidationError(_("At most %(max)d seats.") % {"max": MAX_VENUE_CAPACITY})
        return capacity

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("kind") == Venue.Kind.BRANCH and not data.get("party_org"):
            self.add_error("party_org", _("A branch venue belongs to a party organisation, whose operators run it."))
        name, org = data.get("name"), data.get("party_org")
        if name:
            same = Venue.objects.filter(name=name, party_org=org)
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error("name", _("This organisation already has a venue of that name."))
        return data
