from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import CareTag, Resident


class ResidentForm(forms.ModelForm):
    care_tags = forms.MultipleChoiceField(
        label=_("Care tags"), choices=CareTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Resident
        fields = ["name", "birth_year", "phone", "id_number", "address", "care_tags"]

    def clean_birth_year(self):
        year = self.cleaned_data["birth_year"]
        this_year = timezone.localdate().year
        if not (this_year - 120 <= year <= this_year):
            raise forms.ValidationError(
                _("The year of birth must be between %(low)d and %(high)d.")
                % {"low": this_year - 120, "high": this_year}
            )
        return year

    def clean_id_number(self):
        return self.cleaned_data["id_number"].upper()
