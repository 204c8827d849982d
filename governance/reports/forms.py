from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Area, Department
from governance.reports.access import access_report_building_by_id, access_report_household_by_id
from governance.reports.models import CalendarDay, Category, DispatchRule, Priority, Rating, ReporterKind
from governance.reports.services.photos import MAX_PHOTOS

LAT_RANGE = (-90, 90)
LNG_RANGE = (-180, 180)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("At most 9 photos."))
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return str(obj)


def leaf_categories():
    return (
        Category.objects.filter(is_active=True, children__isnull=True)
        .select_related("parent")
        .order_by("parent__sort_order", "parent_id", "sort_order", "id")
    )


class ReportForm(forms.Form):
    category = CategoryChoiceField(label=_("Problem type"), queryset=Category.objects.none())
    description = forms.CharField(
        label=_("What is the problem?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultiplePhotoField(
        label=_("Photos (up to 9)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "multiple": True}),
    )
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6, required=False)
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100000, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    building = forms.IntegerField(label=_("Building"), required=False, min_value=1)
    household = forms.IntegerField(label=_("Household (optional)"), required=False, min_value=1)
    reporter_kind = forms.ChoiceField(label=_("I report as"), choices=ReporterKind.choices)
    anonymous = forms.BooleanField(label=_("Hide my identity from the departments"), required=False)
    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    same_as = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kinds: list[str] | None = None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = leaf_categories()
        if kinds:
            self.fields["reporter_kind"].choices = [c for c in ReporterKind.choices if c[0] in kinds]

    def clean(self):
        data = super().clean()
        data["building"], data["household"] = self._place(data.get("building"), data.get("household"))
        lat, lng = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lng is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        if lat is not None and not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LNG_RANGE[0] <= lng <= LNG_RANGE[1]):
            raise ValidationError(_("This location is not on the map."))
        if lat is None and not data.get("address", "").strip() and not self.has_place():
            raise ValidationError(_("Give the location: allow the phone's location, set a pin, or write an address."))
        return data

    def _place(self, building_id: int | None, household_id: int | None):
        """The picked building and household, each through its access funnel (404 → "not one of yours")."""
        if not building_id:
            if household_id:
                raise ValidationError(_("Choose the building first."))
            return None, None
        try:
            building = access_report_building_by_id(self.user, building_id)
            household = access_report_household_by_id(self.user, building, household_id) if household_id else None
        except Http404:
            raise ValidationError(_("Choose a building (and household) from the list.")) from None
        return building, household

    def has_place(self) -> bool:
        return self.cleaned_data.get("building") is not None


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DispatchForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    deadline_hours = forms.IntegerField(label=_("Deadline (hours)"), min_value=1, max_value=24 * 90, required=False)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class ExtensionForm(forms.Form):
    hours = forms.IntegerField(label=_("Extra hours"), min_value=1, max_value=24 * 30)
    note = forms.CharField(label=_("Reason"), max_length=300)


class ResolveForm(forms.Form):
    result = forms.CharField(
        label=pgettext_lazy("problem report", "Result"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultiplePhotoField(
        label=_("Photos of the result"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "multiple": True}),
    )


class RateForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you?"),
        choices=[c for c in Rating.choices if c[0] != Rating.NOT_RATED],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=pgettext_lazy("problem report", "Comment"), max_length=500, required=False)


class RuleForm(forms.ModelForm):
    class Meta:
        model = DispatchRule
        fields = [
            "category",
            "area",
            "department",
            "deadline_hours",
            "sign_hours",
            "working_days",
            "priority",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        self.fields["area"].queryset = Area.objects.filter(level__lte=Area.Level.VILLAGE)
        self.fields["priority"].choices = Priority.choices


class CalendarDayForm(forms.ModelForm):
    """One day of the work calendar. Saving a date already entered changes that day."""

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def validate_unique(self) -> None:
        pass  # the service updates the day in place

    def clean(self):
        cleaned = super().clean()
        day, kind = cleaned.get("date"), cleaned.get("kind")
        if day and kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
            self.add_error("date", _("A make-up working day falls on a Saturday or Sunday."))
        if day and kind == CalendarDay.Kind.HOLIDAY and day.weekday() >= 5:
            self.add_error("date", _("Weekends are rest days already: enter holidays that fall on a weekday."))
        return cleaned


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "code", "parent", "description", "is_public", "is_active", "sort_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(parent__isnull=True)


class Open311KeyForm(forms.Form):
    name = forms.CharField(label=_("Client name"), max_length=100)


class FromForumForm(forms.Form):
    category = CategoryChoiceField(label=_("Problem type"), queryset=Category.objects.none())
    description = forms.CharField(
        label=_("What is the problem?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    address = forms.CharField(label=_("Address or landmark"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
