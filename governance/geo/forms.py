from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.geo.crs import GCJ02, WGS84
from governance.geo.imports import MAX_IMPORT_BYTES


class BoundaryImportForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection; each feature's properties.code is the area's code."),
    )
    crs = forms.ChoiceField(
        label=_("Coordinate system of the file"),
        choices=[(WGS84, _("WGS-84 (GPS, Tianditu)")), (GCJ02, _("GCJ-02 (Amap, Tencent)"))],
        initial=WGS84,
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the valid features and skip those with errors"),
        required=False,
        help_text=_("Otherwise nothing is imported while any feature has an error."),
    )
    dry_run = forms.BooleanField(label=_("Only check, save nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return upload
