"""Wagtail admin for media files: upload, live status with a progress bar, retry, cancel, delete.

MediaAsset is a snippet, so lessons pick their file with Wagtail's snippet chooser. The views
below are thin: they check the snippet permission and call learning.services.media.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin.panels import FieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, SnippetViewSet

from learning.forms import MediaAssetForm, ResumableFileInput
from learning.models import MediaAsset
from learning.services.media import (
    media_asset_cancel,
    media_asset_create,
    media_asset_delete,
    media_asset_is_stalled,
    media_asset_replace,
    media_asset_retry,
)


def asset_status(asset: MediaAsset) -> dict:
    stalled = media_asset_is_stalled(asset)
    return {
        "id": asset.pk,
        "status": asset.status,
        "label": str(asset.get_status_display()),
        "progress": round(asset.progress or 0, 4),
        "running": asset.is_running and not stalled,
        "stalled": stalled,
        "ready": asset.is_ready,
        "error": _("The conversion stopped without finishing (the worker was interrupted). Try again.")
        if stalled
        else asset.error_message,
        "can_retry": asset.status in (MediaAsset.Status.FAILED, MediaAsset.Status.CANCELLED, MediaAsset.Status.READY)
        or stalled,
        "can_cancel": asset.status == MediaAsset.Status.QUEUED or asset.is_running,
        "duration": asset.duration,
        "renditions": [r["name"] for r in asset.renditions],
    }


class MediaStatusPanel(Panel):
    """Status, progress bar (updated live while converting), error, and the retry/cancel buttons."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "learning/admin/media_status_panel.html"

        def is_shown(self):
            return bool(self.instance and self.instance.pk)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            asset = self.instance
            namespace = MediaAssetViewSet.url_namespace_value
            context.update(
                asset=asset,
                state=asset_status(asset),
                status_url=reverse(f"{namespace}:status", args=[asset.pk]),
                retry_url=reverse(f"{namespace}:retry", args=[asset.pk]),
                cancel_url=reverse(f"{namespace}:cancel", args=[asset.pk]),
            )
            return context


class StatusColumn(Column):
    cell_template_name = "learning/admin/status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["state"] = asset_status(instance)
        return context


def _discard_resumable_upload(form: MediaAssetForm) -> None:
    """A file that came as a resumable upload has been moved into the asset: its folder goes too."""
    upload = form.resumable_upload
    if upload is not None:
        transaction.on_commit(upload.discard)


class StorageRefusalShownOnForm:
    """A file the storage could not take (a full disk: learning.services.media) is the form again with
    why, on the file field, instead of a server error; the save's transaction is rolled back."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            form.add_error("source", exc)
            # What Wagtail's is_valid() sets for an invalid form: the banner above the form, the JSON code.
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class MediaAssetCreateView(StorageRefusalShownOnForm, CreateView):
    def save_instance(self):
        asset = media_asset_create(
            title=self.form.cleaned_data["title"], upload=self.form.cleaned_data["source"], by=self.request.user
        )
        _discard_resumable_upload(self.form)
        return asset

    def get_success_url(self):
        # Straight to the asset, where the editor watches the conversion's progress.
        return reverse(self.edit_url_name, args=[self.object.pk])


class MediaAssetEditView(StorageRefusalShownOnForm, EditView):
    def save_instance(self):
        upload = self.form.cleaned_data["source"] if "source" in self.form.changed_data else None
        asset = media_asset_replace(
            asset=MediaAsset.objects.get(pk=self.object.pk),
            title=self.form.cleaned_data["title"],
            upload=upload,
            by=self.request.user,
        )
        _discard_resumable_upload(self.form)
        return asset


class MediaAssetDeleteView(DeleteView):
    def delete_action(self):
        media_asset_delete(asset=self.object, by=self.request.user)


class MediaAssetViewSet(SnippetViewSet):
    model = MediaAsset
    icon = "media"
    menu_label = gettext_lazy("Video and audio")
    menu_name = "learning_media"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["title", "kind", StatusColumn("status", label=gettext_lazy("Status")), "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "source_name"]
    add_view_class = MediaAssetCreateView
    edit_view_class = MediaAssetEditView
    delete_view_class = MediaAssetDeleteView
    edit_handler = ObjectList(
        # A file input without a "clear" box (an asset without its file means nothing) or a link to the
        # upload, which is not meant to be served; the file goes up in resumable chunks with a progress bar.
        [FieldPanel("title"), FieldPanel("source", widget=ResumableFileInput), MediaStatusPanel()],
        base_form_class=MediaAssetForm,
    )
    url_namespace_value = "wagtailsnippets_learning_mediaasset"

    def _change_allowed(self, request: HttpRequest) -> bool:
        return self.permission_policy.user_has_permission(request.user, "change")

    def status_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self._change_allowed(request):
            raise PermissionDenied
        return JsonResponse(asset_status(get_object_or_404(MediaAsset, pk=pk)))

    def _act(self, request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
        if not self._change_allowed(request):
            raise PermissionDenied
        asset = get_object_or_404(MediaAsset, pk=pk)
        try:
            service(asset=asset, by=request.user)
            messages.success(request, done)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(f"{self.url_namespace_value}:edit", pk)

    def retry_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._act(request, pk, media_asset_retry, _("The file is queued for conversion again."))

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._act(request, pk, media_asset_cancel, _("The conversion is being stopped."))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/", require_GET(self.status_view), name="status"),
            path("retry/<int:pk>/", require_POST(self.retry_view), name="retry"),
            path("cancel/<int:pk>/", require_POST(self.cancel_view), name="cancel"),
        ]


register_snippet(MediaAssetViewSet)
