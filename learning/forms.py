"""The admin form of a media file: a new asset needs a file; the name the client gave is not trusted.

The file arrives in resumable chunks (core.resumable, learning/js/resumable_upload.js) before the form
is sent; the form then carries only the finished upload's token, and the upload stands in for the
file field as if the file had come with the form. Without JavaScript the file comes with the form.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.resumable import ResumableFile, chunk_cap, upload_take

UPLOAD_TOKEN_SUFFIX = "_upload"
UPLOAD_MISSING = _("The uploaded file was not found (it may have expired). Choose it again.")


class ResumableFileInput(forms.FileInput):
    """A file input whose file goes to the server in resumable chunks, with a progress bar."""

    template_name = "learning/widgets/resumable_file_input.html"
    token = ""

    class Media:
        js = ["learning/js/resumable_upload.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget.update(
            endpoint=reverse("learning:media_uploads"),
            chunk=chunk_cap(),
            max_length=int(settings.LEARNING_MAX_UPLOAD_MB) * 1024 * 1024,
            upload_name=name + UPLOAD_TOKEN_SUFFIX,
            token=self.token,
            messages_id=f"{widget['attrs'].get('id') or name}-messages",
            messages={
                "progress": str(_("%(done)s of %(total)s uploaded")),
                "checking": str(_("Asking the server how much it already has…")),
                "paused": str(_("Paused.")),
                "offline": str(_("The network is down; the upload goes on when it is back.")),
                "retrying": str(_("The connection broke; trying again in %(seconds)s s…")),
                "done": str(_("Uploaded. Save to start the conversion.")),
                "saving": str(_("Uploaded. Saving…")),
                "waiting": str(_("The file is still uploading; the form is saved when it is done.")),
                "failed": str(_("The upload failed: %(message)s")),
                "pause": str(_("Pause")),
                "resume": str(_("Resume")),
                "unfinished": str(
                    _(
                        "Unfinished upload: %(name)s (%(percent)s%%). "
                        "Choose the same file again to continue where it stopped."
                    )
                ),
                "discard": str(_("Discard")),
            },
        )
        return context


class MediaAssetForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields and not self.instance.pk:
            self.fields["source"].required = True
            self.fields["source"].error_messages["required"] = _("Choose a video or audio file to upload.")
        self.upload_missing = False
        token = self.data.get("source" + UPLOAD_TOKEN_SUFFIX) if self.is_bound else ""
        if token and "source" in self.fields and not self.files.get("source"):
            # The person's own finished upload stands in for the file; anyone else's is not found.
            try:
                upload = upload_take(user=self.for_user, token=token)
            except Http404:
                self.upload_missing = True
                # On a new asset the empty file field would say "choose a file": say why instead.
                self.fields["source"].error_messages["required"] = UPLOAD_MISSING
            else:
                self.files = self.files.copy()
                self.files["source"] = upload
                self.fields["source"].widget.token = token

    @property
    def resumable_upload(self) -> ResumableFile | None:
        upload = self.cleaned_data.get("source") if hasattr(self, "cleaned_data") else None
        return upload if isinstance(upload, ResumableFile) else None

    def clean_source(self):
        if self.upload_missing:
            raise forms.ValidationError(UPLOAD_MISSING)
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
