"""The admin form of a media file: a new asset needs a file; the name the client gave is not trusted."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


class MediaAssetForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields and not self.instance.pk:
            self.fields["source"].required = True
            self.fields["source"].error_messages["required"] = _("Choose a video or audio file to upload.")

    def clean_source(self):
        upload = self.cleaned_data.get("source")
        if upload and hasattr(upload, "size"):
            if upload.size == 0:
                raise forms.ValidationError(_("The file is empty (0 bytes). Upload it again."))
            limit_mb = int(settings.LEARNING_MAX_UPLOAD_MB)
            if upload.size > limit_mb * 1024 * 1024:
                raise forms.ValidationError(
                    _("The file is larger than %(limit)d MB. Export it at a lower bitrate and try again.")
                    % {"limit": limit_mb}
                )
        return upload
