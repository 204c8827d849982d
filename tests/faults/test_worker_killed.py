"""The task worker killed (SIGKILL) in the middle of converting an uploaded lesson video.

A real `manage.py db_worker` converts a real clip with ffmpeg on the test database; once ffmpeg
reports progress, the worker is killed alone, as the kernel's OOM killer or a crash would. Then:

- ffmpeg dies with it (it is in its own process group, but asks the kernel to be killed with its
  worker), so nothing goes on converting for nobody;
- a worker started again ends the abandoned job (core/worker.py: no heartbeat for --stalled-after
  seconds): the asset is "failed" with the interrupted-conversion message in Chinese and a retry
  button, the task row "FAILED" - nothing stays "running";
- the retry converts the same upload to the end: nothing of the upload was lost.

Scale: a 10-second 720p clip (three rungs) and --stalled-after 5 s instead of the default minutes,
so the whole fault takes well under a minute; the reaper's rule is the same whatever the numbers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from core.tests.factories import UserFactory
from learning.models import MediaAsset
from learning.services.media import media_asset_create, media_asset_retry
from learning.tasks import media_asset_process_task
from learning.tests.media import make_clip
from learning.wagtail_hooks import asset_status
from streaming.video.tests.live_support import wait_for
from tests.faults.servers import kill_process
from tests.support import REPO_ROOT, live_db, subprocess_env

pytestmark = [live_db, pytest.mark.timeout(300)]

TASK_PATH = media_asset_process_task.module_path
STALLED_AFTER = 5  # seconds without a heartbeat; a converting worker writes one every second


def media_task() -> DBTaskResult:
    """The first run's task row (Wagtail queues its own tasks beside ours)."""
    return DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at")[0]


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that will not reap it counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        argv = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"]
        argv += ["--stalled-after", str(STALLED_AFTER)]
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )

    def diagnostics(self) -> str:
        return f"\n--- worker log:\n{self.log.read_text(errors='replace')[-4000:]}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def test_worker_killed_mid_transcode_job_is_failed_not_stuck_and_a_retry_finishes(
    live_database_url, settings, tmp_path, fault_report
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    env = subprocess_env(DATABASE_URL=live_database_url, TEST_TASKS_BACKEND="database")
    editor = UserFactory()
    clip = make_clip(tmp_path / "lesson.mp4", seconds=10, size="1280x720")
    asset = media_asset_create(
        title="党课：基层治理", upload=SimpleUploadedFile("lesson.mp4", clip.read_bytes()), by=editor
    )
    source_bytes = clip.read_bytes()
    workers: list[Worker] = []
    ffmpeg_pid = None
    try:
        first = Worker(env, tmp_path / "worker-1.log")
        workers.append(first)

        def converting():
            row = MediaAsset.objects.get(pk=asset.pk)
            return row if row.status == MediaAsset.Status.TRANSCODING and row.progress > 0 and row.worker_pid else None

        ffmpeg_pid = wait_for(
            converting, 120, "the conversion to make progress", diagnostics=first.diagnostics
        ).worker_pid
        kill_process(first.proc)
        wait_for(lambda: not alive(ffmpeg_pid), 15, f"ffmpeg {ffmpeg_pid} to die with its worker")
        assert media_task().status == "RUNNING"  # what the dead worker left behind

        second = Worker(env, tmp_path / "worker-2.log")
        workers.append(second)
        failed = wait_for(
            lambda: (row := MediaAsset.objects.get(pk=asset.pk)).status == MediaAsset.Status.FAILED and row,
            60,
            "the abandoned conversion to be ended",
            diagnostics=second.diagnostics,
        )
        assert failed.error_code == "stalled"
        assert media_task().status == "FAILED"
        with translation.override("zh-hans"):
            state = asset_status(failed)
        assert state["can_retry"] and not state["running"], state
        assert "中断" in state["error"], state["error"]  # the interrupted-conversion message, in Chinese

        media_asset_retry(asset=failed, by=editor)
        ready = wait_for(
            lambda: (row := MediaAsset.objects.get(pk=asset.pk)).status in MediaAsset.FINISHED and row,
            180,
            "the retried conversion",
            diagnostics=second.diagnostics,
        )
        assert ready.status == MediaAsset.Status.READY, (ready.error_code, ready.error_detail)
        assert [r["name"] for r in ready.renditions] == ["720p", "480p", "360p"]
        assert Path(ready.source.path).read_bytes() == source_bytes
        # The worker records the task's end just after the asset's (the task returns first).
        wait_for(
            lambda: not DBTaskResult.objects.filter(status="RUNNING", task_path=TASK_PATH).exists(),
            30,
            "no conversion task left running",
            diagnostics=second.diagnostics,
        )
    finally:
        for worker in workers:
            worker.stop()
        if ffmpeg_pid and alive(ffmpeg_pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(ffmpeg_pid, signal.SIGKILL)
    fault_report(
        fault="task worker killed mid-transcode",
        user_saw=f"asset 'failed': “{state['error']}” + retry; retry → ready",
        data_lost="none",
        figures=f"ffmpeg ended with its worker; reaped after {STALLED_AFTER} s silence; 3 rungs on retry",
    )
