from __future__ import annotations

import re

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import mobile_validator
from core.spreadsheets import SpreadsheetError, xlsx_open
from core.validators import id_number_validator
from governance.layout import MAX_FLOORS, MAX_PER_FLOOR, MAX_UNITS
from governance.models import ADULT_AGE, CareTag, Household, ImportJob, Resident, Visit
from governance.reports.forms import CategoryChoiceField, leaf_categories
from governance.reports.models import Category

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ResidentForm(forms.ModelForm):
    """Register or edit a resident of a household.

    The stored phone and ID numbers are never put into the page (issue 15): on edit the fields start
    empty, show the masked value as a hint, and an empty field keeps what is stored. Changing one
    means typing the whole new value.
    """

    phone_new = forms.CharField(label=_("Phone"), required=False, max_length=11, validators=[mobile_validator])
    id_number_new = forms.CharField(
        label=_("ID card number"), required=False, max_length=18, validators=[id_number_validator]
    )
    clear_phone = forms.BooleanField(label=_("Remove the recorded phone number"), required=False)
    care_tags = forms.ModelMultipleChoiceField(
        label=_("Care tags"),
        queryset=CareTag.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Resident
        fields = ["name", "birth_year", "relation", "moved_in_on", "guardian"]
        widgets = {"moved_in_on": DATE_INPUT}

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        adult_year = timezone.localdate().year - ADULT_AGE
        guardians = household.residents.current().filter(birth_year__lte=adult_year)
        if self.instance.pk:
            guardians = guardians.exclude(pk=self.instance.pk)
            self.fields["care_tags"].initial = list(self.instance.care_tags.values_list("pk", flat=True))
            if self.instance.phone:
                self.fields["phone_new"].help_text = _("Recorded: %(masked)s. Leave empty to keep it.") % {
                    "masked": self.instance.masked_phone
                }
            else:
                del self.fields["clear_phone"]
            if self.instance.id_number:
                self.fields["id_number_new"].help_text = _("Recorded: %(masked)s. Leave empty to keep it.") % {
                    "masked": self.instance.masked_id_number
                }
        else:
            del self.fields["clear_phone"]
        self.fields["guardian"].queryset = guardians
        self.fields["guardian"].help_text = _("Required for a child under 14: an adult of this household.")
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["phone_new"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["id_number_new"].widget.attrs.update({"autocomplete": "off"})

    def clean_birth_year(self):
        year = self.cleaned_data["birth_year"]
        this_year = timezone.localdate().year
        if not (this_year - 120 <= year <= this_year):
            raise forms.ValidationError(
                _("The year of birth must be between %(low)d and %(high)d.")
                % {"low": this_year - 120, "high": this_year}
            )
        return year

    def clean_id_number_new(self):
        return self.cleaned_data["id_number_new"].strip().upper()

    def service_data(self) -> dict:
        """The fields to write: an empty phone or ID number on edit keeps the stored one."""
        data = {k: self.cleaned_data[k] for k in self._meta.fields}
        if self.cleaned_data.get("phone_new") or not self.instance.pk:
            data["phone"] = self.cleaned_data.get("phone_new", "")
        if self.cleaned_data.get("clear_phone"):
            data["phone"] = ""
        if self.cleaned_data.get("id_number_new") or not self.instance.pk:
            data["id_number"] = self.cleaned_data.get("id_number_new", "")
        return data


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need the full details?"),
        max_length=200,
        help_text=_("Recorded in the audit log with your name, e.g. 核实低保申请 or 联系家属."),
    )


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(label=_("Moved out on"), widget=DATE_INPUT)


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["status", "occupant", "moved_in_on", "notes"]
        widgets = {"moved_in_on": DATE_INPUT, "notes": forms.Textarea(attrs={"rows": 3})}


class CorrectionForm(forms.Form):
    message = forms.CharField(
        label=_("What should be corrected?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Your grid worker receives the request and answers you. Do not write ID numbers here."),
    )


_FLOOR_LIST = re.compile(r"^\s*(\d+\s*([,，、\s]\s*\d+\s*)*)?$")
_OVERRIDE = re.compile(r"^\s*(\d+)\s*[:：]\s*(\d+)\s*[:：]\s*(\d+)\s*$")


def parse_floor_list(text: str) -> list[int]:
    if not _FLOOR_LIST.match(text or ""):
        raise forms.ValidationError(_("Floor numbers separated by commas, e.g. 4,13,14."))
    return sorted({int(x) for x in re.findall(r"\d+", text or "")})


def parse_overrides(text: str) -> dict:
    """ "3:18:2; 4:16:2" → {"3": {"floor_count": 18, "households_per_floor": 2}, …}."""
    result = {}
    for part in re.split(r"[;；\n]", text or ""):
        if not part.strip():
            continue
        match = _OVERRIDE.match(part)
        if not match:
            raise forms.ValidationError(
                _("Write each differing unit as unit:floors:households per floor, e.g. 3:18:2; 4:16:2.")
            )
        unit, floors, per = (int(g) for g in match.groups())
        result[str(unit)] = {"floor_count": floors, "households_per_floor": per}
    return result


def format_overrides(overrides: dict) -> str:
    return "; ".join(
        f"{unit}:{shape['floor_count']}:{shape['households_per_floor']}"
        for unit, shape in sorted(overrides.items(), key=lambda kv: int(kv[0]))
    )


class BuildingForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    number = forms.CharField(label=_("Building number"), max_length=12, validators=[RegexValidator(r"^[0-9A-Za-z]+$")])
    address = forms.CharField(label=_("Address"), max_length=200)
    unit_count = forms.IntegerField(label=_("Units"), min_value=1, max_value=MAX_UNITS)
    floor_count = forms.IntegerField(label=_("Floors"), min_value=1, max_value=MAX_FLOORS)
    households_per_floor = forms.IntegerField(label=_("Households per floor"), min_value=1, max_value=MAX_PER_FLOOR)
    shop_floors = forms.IntegerField(label=_("Ground floors with shops"), min_value=0, max_value=5, initial=0)
    skipped_floors = forms.CharField(
        label=_("Skipped floor numbers"), required=False, help_text=_("e.g. 4,13,14 where those numbers are not used.")
    )
    unit_overrides = forms.CharField(
        label=_("Units that differ"),
        required=False,
        help_text=_("unit:floors:households per floor, e.g. 3:18:2; 4:16:2"),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )

    def clean_skipped_floors(self):
        return parse_floor_list(self.cleaned_data["skipped_floors"])

    def clean_unit_overrides(self):
        return parse_overrides(self.cleaned_data["unit_overrides"])

    @classmethod
    def initial_for(cls, building) -> dict:
        return {
            "name": building.name,
            "number": building.number,
            "address": building.address,
            "unit_count": building.unit_count,
            "floor_count": building.floor_count,
            "households_per_floor": building.households_per_floor,
            "shop_floors": building.shop_floors,
            "skipped_floors": ",".join(str(f) for f in building.skipped_floors),
            "unit_overrides": format_overrides(building.unit_overrides),
            "latitude": building.latitude,
            "longitude": building.longitude,
        }


class VisitForm(forms.Form):
    """Record a visit in a few taps: the date starts as today, the outcome is one tap, the rest optional."""

    visited_on = forms.DateField(label=_("Date of the visit"), widget=DATE_INPUT)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Visit.Outcome.choices, initial=Visit.Outcome.NORMAL, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you found, what was asked for. Do not write ID numbers here."),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("Location and camera details are removed from the photo."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["visited_on"].initial = today
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()


class VisitReportForm(forms.Form):
    """Raise what a visit found as a problem report: grid and address come from the visit."""

    category = CategoryChoiceField(label=_("Problem type"), queryset=Category.objects.none())
    description = forms.CharField(
        label=_("What is the problem?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Address or landmark"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_("Start from the template: sheets 楼栋, 房屋 and 居民 with their column headers."),
    )
    mode = forms.ChoiceField(
        label=_("When some rows have errors"),
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL,
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        from governance.services.imports import MAX_BYTES, MAX_UNPACKED, spreadsheet_error_message

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
        data = upload.read()
        upload.seek(0)
        # By its content, never its name or the type the browser claims.
        try:
            xlsx_open(data, max_unpacked=MAX_UNPACKED).close()
        except SpreadsheetError as exc:
            raise forms.ValidationError(spreadsheet_error_message(exc)) from None
        return upload


class ExportForm(forms.Form):
    # Any area id is checked by the view through access_area_by_id (404 when not the person's).
    area = forms.CharField(label=_("Area"), required=False, widget=forms.Select)
    reveal = forms.BooleanField(
        label=_("Include the full phone and ID card numbers"),
        required=False,
        help_text=_(
            "Otherwise they are masked, as on screen. Full numbers are recorded in the audit log with your reason."
        ),
    )
    reason = forms.CharField(
        label=_("Why do you need the full details?"),
        max_length=200,
        required=False,
        help_text=_("e.g. 核对低保名单 or 社区换届选民登记."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].widget.choices = [("", _("Everything I may see"))] + [
            (str(a.pk), f"{'　' * (a.level - 1)}{a.name}（{a.get_level_display()}）") for a in areas
        ]

    def clean(self):
        data = super().clean()
        if data.get("reveal") and not " ".join((data.get("reason") or "").split()):
            self.add_error("reason", _("Say why you need the full details."))
        if not data.get("reveal"):
            data["reason"] = ""
        return data
