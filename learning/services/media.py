"""The media pipeline's writes: upload, process (the background task's body), retry, cancel, delete.

State machine of a MediaAsset: queued → probing → transcoding → storing → ready, or failed /
cancelled from any running state. Every (re)start bumps `attempt`; a task carries the attempt it
was queued for and claims the asset with a conditional UPDATE, so a double-clicked retry or a
task delivered twice runs once, and a stale task finds nothing to do.

Files: the upload stays at `source`; the output goes to `learning/media/<storage_key>/` through
default_storage (so production can use object storage). ffmpeg works in a local temp directory;
only a finished package is copied into storage, under a fresh key, and the previous package is
removed afterwards — a player that loaded the old one keeps working until it reloads.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.services.audit import audit_record
from core.services.notifications import notification_send
from learning.models import MediaAsset
from learning.services.errors import MediaCancelledError, MediaError, error_message
from learning.services.probe import MediaProbe, probe_media
from learning.services.transcode import Package, transcode_package

logger = logging.getLogger(__name__)

# A running job whose worker has not written a heartbeat for this long is taken for dead.
STALL_AFTER = timedelta(minutes=3)
MEDIA_ROOT_PREFIX = "learning/media"


def max_duration_hours() -> float:
    return float(settings.LEARNING_MAX_DURATION_HOURS)


def media_asset_create(*, title: str, upload: UploadedFile, by: User | None) -> MediaAsset:
    """Save an uploaded file and queue its processing once the row is committed."""
    asset = MediaAsset(
        title=title.strip(),
        created_by=by,
        source_name=os.path.basename(upload.name or "")[:255],
        source_size=upload.size or 0,
    )
    _save_source(asset, upload)
    asset.save()
    audit_record(actor=by, action="learning.media.upload", obj=asset, detail={"name": asset.source_name})
    _queue(asset)
    return asset


def media_asset_replace(*, asset: MediaAsset, title: str, upload: UploadedFile | None, by: User | None) -> MediaAsset:
    """Rename an asset, or give it a new file: the new file is converted while lessons keep playing
    the old package, which is swapped out when the new one is ready."""
    asset.title = title.strip()
    if upload is None:
        asset.save(update_fields=["title"])
        return asset
    old_source = asset.source.name
    asset.source_name = os.path.basename(upload.name or "")[:255]
    asset.source_size = upload.size or 0
    _save_source(asset, upload)
    asset.save(update_fields=["title", "source", "source_name", "source_size"])
    audit_record(actor=by, action="learning.media.replace", obj=asset, detail={"name": asset.source_name})
    _queue(asset)
    if old_source:
        transaction.on_commit(lambda: default_storage.delete(old_source))
    return asset


# A disk (or quota, or file-size limit) that cannot take the file: the editor is told, not shown a 500.
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _save_source(asset: MediaAsset, upload: UploadedFile) -> None:
    """Store the upload under our own random name (the client's is kept only as a label). If the
    storage fails part-way, what it wrote goes: a half file must never stand for an upload."""
    extension = Path(upload.name or "").suffix.lower()[:10]
    name = f"{secrets.token_hex(16)}{extension}"
    try:
        asset.source.save(name, upload, save=False)
    except OSError as exc:
        with contextlib.suppress(OSError):
            default_storage.delete(asset.source.field.generate_filename(asset, name))
        if exc.errno in _NO_ROOM:
            logger.error("no room to store an upload of %s bytes: %s", upload.size, exc)
            raise ValidationError(
                _("The server's storage is full, so the file was not saved. Tell the administrator."),
                code="no_room",
            ) from exc
        raise


def _queue(asset: MediaAsset) -> None:
    """Mark the asset queued under a new attempt number, and enqueue its task after commit."""
    asset.attempt += 1
    asset.status = MediaAsset.Status.QUEUED
    asset.progress = 0.0
    asset.cancel_requested = False
    asset.error_code, asset.error_params, asset.error_detail = "", {}, ""
    asset.worker_pid = None
    asset.started_at = asset.finished_at = asset.heartbeat_at = None
    asset.save(
        update_fields=[
            "attempt",
            "status",
            "progress",
            "cancel_requested",
            "error_code",
            "error_params",
            "error_detail",
            "worker_pid",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]
    )
    asset_id, attempt = asset.pk, asset.attempt

    def enqueue() -> None:
        from learning.tasks import media_asset_process_task

        try:
            media_asset_process_task.enqueue(asset_id, attempt)
        except Exception:  # the queue being down must not lose the upload: retry is offered
            logger.exception("could not enqueue processing of media asset %s", asset_id)
            MediaAsset.objects.filter(pk=asset_id, attempt=attempt, status=MediaAsset.Status.QUEUED).update(
                status=MediaAsset.Status.FAILED, error_code="stalled", finished_at=timezone.now()
            )

    transaction.on_commit(enqueue)


def media_asset_is_stalled(asset: MediaAsset) -> bool:
    if asset.status not in MediaAsset.RUNNING:
        return False
    last_sign = asset.heartbeat_at or asset.started_at
    return last_sign is None or timezone.now() - last_sign > STALL_AFTER


def media_assets_fail_stalled(*, stalled_after: timedelta | None = None) -> int:
    """End the conversions whose worker died (no heartbeat for `stalled_after`): failed, with the
    "stalled" message, the uploader told, the upload kept for a retry; their task rows failed too,
    so nothing shows as running for ever (core/worker.py runs this from every task worker)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from learning.tasks import media_asset_process_task

    cutoff = timezone.now() - (stalled_after or STALL_AFTER)
    # The claim writes the first heartbeat, so every running row has one.
    stalled = list(
        MediaAsset.objects.filter(status__in=MediaAsset.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", "attempt")
    )
    task_path = media_asset_process_task.module_path
    ended = 0
    for asset_id, attempt in stalled:
        # The asset and its task row end together; only if still that attempt and still not moving
        # (the worker may have written meanwhile).
        with transaction.atomic():
            if not MediaAsset.objects.filter(
                pk=asset_id, attempt=attempt, status__in=MediaAsset.RUNNING, heartbeat_at__lt=cutoff
            ).update(
                status=MediaAsset.Status.FAILED, error_code="stalled", finished_at=timezone.now(), worker_pid=None
            ):
                continue
            for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, task_path=task_path):
                if list(result.args_kwargs.get("args") or ()) == [asset_id, attempt]:
                    DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                        status=TaskResultStatus.FAILED,
                        finished_at=timezone.now(),
                        exception_class_path="core.worker.WorkerLost",
                        traceback="The worker running this task stopped (no heartbeat); ended by the reaper.",
                    )
        ended += 1
        _notify_uploader(asset_id, ready=False, message=error_message("stalled"))
    return ended


def media_asset_retry(*, asset: MediaAsset, by: User) -> MediaAsset:
    """Run the pipeline again on a failed, cancelled or stalled asset (or to rebuild a ready one)."""
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        if asset.status == MediaAsset.Status.QUEUED or (
            asset.status in MediaAsset.RUNNING and not media_asset_is_stalled(asset)
        ):
            raise ValidationError(_("This file is already being converted."))
        _queue(asset)
        audit_record(actor=by, action="learning.media.retry", obj=asset, detail={"attempt": asset.attempt})
    return asset


def media_asset_cancel(*, asset: MediaAsset, by: User) -> MediaAsset:
    """Stop a queued or running conversion. A running ffmpeg is killed by its runner within a second."""
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        if asset.status == MediaAsset.Status.QUEUED or media_asset_is_stalled(asset):
            asset.status = MediaAsset.Status.CANCELLED
            asset.error_code = "cancelled"
            asset.finished_at = timezone.now()
            asset.save(update_fields=["status", "error_code", "finished_at"])
        elif asset.status in MediaAsset.RUNNING:
            asset.cancel_requested = True
            asset.save(update_fields=["cancel_requested"])
        else:
            raise ValidationError(_("This file is not being converted."))
        audit_record(actor=by, action="learning.media.cancel", obj=asset)
    return asset


def media_asset_delete(*, asset: MediaAsset, by: User | None) -> None:
    """Remove the asset, its upload and its converted files. Lessons that use it protect it."""
    key, source = asset.storage_key, asset.source.name
    audit_record(actor=by, action="learning.media.delete", obj=asset)
    asset.delete()

    def remove_files() -> None:
        if key:
            storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{key}")
        if source:
            default_storage.delete(source)

    transaction.on_commit(remove_files)


# --- Processing -----------------------------------------------------------------------------


def _claim(asset_id: int, attempt: int) -> bool:
    now = timezone.now()
    return bool(
        MediaAsset.objects.filter(pk=asset_id, attempt=attempt, status=MediaAsset.Status.QUEUED).update(
            status=MediaAsset.Status.PROBING, started_at=now, heartbeat_at=now, progress=0.0
        )
    )


def _set(asset_id: int, attempt: int, **fields) -> None:
    MediaAsset.objects.filter(pk=asset_id, attempt=attempt).update(**fields)


@contextmanager
def local_source(asset: MediaAsset, work_dir: Path) -> Iterator[Path]:
    """A local path to the upload: the file itself on a local disk, else a copy in work_dir."""
    try:
        yield Path(default_storage.path(asset.source.name))
        return
    except NotImplementedError:
        pass
    target = work_dir / ("source" + Path(asset.source.name).suffix)
    with default_storage.open(asset.source.name, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    yield target


def storage_save_tree(local_dir: Path, prefix: str) -> int:
    """Copy every file under local_dir into default_storage under prefix; returns the bytes copied."""
    total = 0
    for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
        name = f"{prefix}/{path.relative_to(local_dir).as_posix()}"
        with open(path, "rb") as handle:
            saved = default_storage.save(name, File(handle))
        if saved != name:  # a fresh random key never collides; if it did, the playlists would break
            raise MediaError("storage", f"{name} was saved as {saved}")
        total += path.stat().st_size
    return total


def storage_delete_tree(prefix: str) -> None:
    try:
        directories, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return
    for name in files:
        default_storage.delete(f"{prefix}/{name}")
    for name in directories:
        storage_delete_tree(f"{prefix}/{name}")
    # Local disks keep empty directories; remove them when the storage is local.
    try:
        path = Path(default_storage.path(prefix))
    except NotImplementedError:
        return
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _record_probe(asset_id: int, attempt: int, probe: MediaProbe) -> None:
    width, height = probe.video.display_size if probe.video else (None, None)
    _set(
        asset_id,
        attempt,
        kind=probe.kind,
        duration=probe.duration,
        width=width,
        height=height,
        probe=probe.as_json(),
        status=MediaAsset.Status.TRANSCODING,
        heartbeat_at=timezone.now(),
    )


def media_asset_process(*, asset_id: int, attempt: int) -> str:
    """Probe, transcode and store one asset. The background task's body; safe to call directly.

    Returns the final status. Any failure that belongs to the file ends as status "failed" with a
    code the editor reads in their language; the rest of the site is unaffected.
    """
    if not _claim(asset_id, attempt):
        return "skipped"
    asset = MediaAsset.objects.get(pk=asset_id)
    old_key = asset.storage_key
    work_root = Path(tempfile.mkdtemp(prefix=f"learning-media-{asset_id}-"))
    try:
        with local_source(asset, work_root) as source:
            probe = probe_media(source, max_duration_hours=max_duration_hours())
            _record_probe(asset_id, attempt, probe)
            out_dir = work_root / "out"
            out_dir.mkdir()

            def on_progress(fraction: float) -> None:
                _set(asset_id, attempt, progress=round(fraction * 0.98, 4), heartbeat_at=timezone.now())

            def should_cancel() -> bool:
                # Cancelled, or superseded by a newer attempt (a retry, a replaced file).
                return not MediaAsset.objects.filter(pk=asset_id, attempt=attempt, cancel_requested=False).exists()

            package = transcode_package(
                source=source,
                out_dir=out_dir,
                probe=probe,
                on_progress=on_progress,
                should_cancel=should_cancel,
                on_start=lambda pid: _set(asset_id, attempt, worker_pid=pid),
                work_dir=work_root,
            )
        if should_cancel():
            raise MediaCancelledError()
        _set(asset_id, attempt, status=MediaAsset.Status.STORING, heartbeat_at=timezone.now())
        new_key = _store_package(out_dir)
        _finish_ready(asset_id, attempt, new_key, package, out_dir)
    except MediaCancelledError:
        _set(
            asset_id,
            attempt,
            status=MediaAsset.Status.CANCELLED,
            error_code="cancelled",
            finished_at=timezone.now(),
            worker_pid=None,
        )
        return MediaAsset.Status.CANCELLED
    except MediaError as exc:
        logger.info("media asset %s failed: %s (%s)", asset_id, exc.code, exc.detail[-500:])
        _notify_uploader(asset_id, ready=False, message=str(exc))
        _set(
            asset_id,
            attempt,
            status=MediaAsset.Status.FAILED,
            error_code=exc.code,
            error_params=exc.params,
            error_detail=exc.detail[-4000:],
            finished_at=timezone.now(),
            worker_pid=None,
        )
        return MediaAsset.Status.FAILED
    except Exception as exc:
        logger.exception("media asset %s failed unexpectedly", asset_id)
        _set(
            asset_id,
            attempt,
            status=MediaAsset.Status.FAILED,
            error_code="ffmpeg_failed",
            error_detail=f"{type(exc).__name__}: {exc}"[-4000:],
            finished_at=timezone.now(),
            worker_pid=None,
        )
        raise
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    if old_key and old_key != new_key:
        storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{old_key}")
    _notify_uploader(asset_id, ready=True)
    return MediaAsset.Status.READY


def _notify_uploader(asset_id: int, *, ready: bool, message: str = "") -> None:
    """Tell the editor who uploaded the file how it ended: the page said they could leave it."""
    asset = MediaAsset.objects.filter(pk=asset_id).select_related("created_by").first()
    if asset is None or asset.created_by is None:
        return
    if ready:
        title = _("“%(title)s” is ready to use in lessons.") % {"title": asset.title}
    else:
        title = _("“%(title)s” could not be converted.") % {"title": asset.title}
    try:
        url = reverse("wagtailsnippets_learning_mediaasset:edit", args=[asset.pk])
    except NoReverseMatch:
        url = ""
    notification_send(
        recipient=asset.created_by,
        kind="learning.media.ready" if ready else "learning.media.failed",
        title=title[:200],
        body=message,
        url=url,
    )


def _store_package(out_dir: Path) -> str:
    key = secrets.token_hex(16)
    try:
        storage_save_tree(out_dir, f"{MEDIA_ROOT_PREFIX}/{key}")
    except MediaError:
        storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{key}")
        raise
    except OSError as exc:
        storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{key}")
        raise MediaError("storage", str(exc)) from exc
    return key


def _finish_ready(asset_id: int, attempt: int, key: str, package: Package, out_dir: Path) -> None:
    audio_size = (out_dir / package.audio_file).stat().st_size if package.audio_file else 0
    updated = MediaAsset.objects.filter(pk=asset_id, attempt=attempt).update(
        status=MediaAsset.Status.READY,
        progress=1.0,
        storage_key=key,
        renditions=[r.as_json() for r in package.renditions],
        audio_playlist="audio/index.m3u8" if package.has_audio else "",
        has_audio_file=bool(package.audio_file),
        audio_file_size=audio_size,
        has_poster=bool(package.poster),
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        worker_pid=None,
        cancel_requested=False,
        error_code="",
        error_params={},
        error_detail="",
    )
    if not updated:  # a newer attempt took over meanwhile: its output wins, ours goes
        storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{key}")
