from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from villages.models import Industry, Project, VillageMonth, VillageYear

MONEY_WIDGET = forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"})


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=200,
        required=False,
        help_text=_("Needed once the town has locked the year; it stays in the trail."),
    )


class VillageYearForm(ReasonMixin, forms.ModelForm):
    class Meta:
        model = VillageYear
        fields = [
            "operating_income",
            "contract_income",
            "investment_income",
            "subsidy_income",
            "other_income",
            "expenditure",
            "assets",
            "liabilities",
            "note",
        ]
        widgets = {
            **{
                f: MONEY_WIDGET
                for f in (
                    "operating_income",
                    "contract_income",
                    "investment_income",
                    "subsidy_income",
                    "other_income",
                    "expenditure",
                    "assets",
                    "liabilities",
                )
            },
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class VillageMonthForm(ReasonMixin, forms.ModelForm):
    class Meta:
        model = VillageMonth
        fields = [
            "month",
            "operating_income",
            "contract_income",
            "investment_income",
            "subsidy_income",
            "other_income",
            "expenditure",
        ]
        widgets = {
            f: MONEY_WIDGET
            for f in (
                "operating_income",
                "contract_income",
                "investment_income",
                "subsidy_income",
                "other_income",
                "expenditure",
            )
        }


class IndustryForm(ReasonMixin, forms.ModelForm):
    class Meta:
        model = Industry
        fields = ["kind", "name", "scale", "unit", "output_value", "households"]
        widgets = {"output_value": MONEY_WIDGET}


class ProjectForm(ReasonMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "investment", "funding", "status", "note"]
        widgets = {"investment": MONEY_WIDGET}


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("What should the village complete"), max_length=200)
