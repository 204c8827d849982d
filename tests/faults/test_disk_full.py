"""The disk full in the middle of an upload of a lesson video.

A Daphne process stores media on a tmpfs of DISK_MB (a disk that really fills: ENOSPC); its temporary
files (Twisted's request body, Django's upload file) go to a directory of the test's own. An editor
uploads a file larger than the disk through the admin form:

- the editor gets the form back with a clear Chinese message on the file field (not a server error);
- nothing half-written stays on the media disk, no asset row is left, no temporary file remains;
- once there is room (a smaller file), the same form saves the upload whole.

Scale: a 16 MB disk and a 40 MB file instead of a real disk and gigabytes; ENOSPC is the same error
at any size, and the copy fails part-way through just the same.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from core.tests.factories import DEFAULT_PASSWORD
from learning.models import MediaAsset
from streaming.video.tests.live_support import wait_for
from tests.faults.servers import small_disk
from tests.faults.uploads import MEDIA_ADMIN, make_media_editor, post_upload
from tests.support import live_db, running_daphnes, signed_in_session, subprocess_env

pytestmark = [pytest.mark.daphne, live_db, pytest.mark.timeout(180)]

DISK_MB = 16
TOO_BIG = 40 * 1024 * 1024
FITS = 2 * 1024 * 1024


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_disk_full_during_an_upload_says_so_in_chinese_and_leaves_nothing_half_written(live_database_url, fault_report):
    editor = make_media_editor()
    scratch = Path(tempfile.mkdtemp(prefix="fault-tmp-"))
    try:
        with small_disk(DISK_MB) as disk:
            env = subprocess_env(DATABASE_URL=live_database_url, MEDIA_ROOT=str(disk), TMPDIR=str(scratch))
            with running_daphnes(("daphne", env)) as (server,):
                session = signed_in_session(server, editor.username, DEFAULT_PASSWORD)
                temp_before = set(files_under(scratch))

                response, body = post_upload(server, session, title="党课：乡村振兴", size=TOO_BIG)
                assert response.status_code == 200, f"{response.status_code}{server.diagnostics()}"
                assert "服务器存储空间已满，文件未保存" in response.text, server.diagnostics()
                assert body.sent == len(body)
                assert not MediaAsset.objects.exists()
                assert files_under(disk) == [], "a half-written file was left on the media disk"
                # Django removes its temporary upload file when the request is closed, just after the response.
                wait_for(lambda: set(files_under(scratch)) <= temp_before, 15, "the upload's temporary files to go")

                response, body = post_upload(server, session, title="党课：乡村振兴", size=FITS)
                assert response.status_code == 302, f"{response.status_code}{server.diagnostics()}"
                asset = MediaAsset.objects.get()
                assert response.headers["Location"] == f"{MEDIA_ADMIN}edit/{asset.pk}/"
                stored = Path(disk) / asset.source.name
                assert stored.stat().st_size == FITS and _sha256(stored) == body.sha256.hexdigest()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    fault_report(
        fault="disk full during an upload",
        user_saw="the form again: “服务器存储空间已满，文件未保存。请联系管理员…”",
        data_lost="none (nothing half-written; the next upload stored whole)",
        figures=f"{TOO_BIG >> 20} MB file on a {DISK_MB} MB disk",
    )


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
