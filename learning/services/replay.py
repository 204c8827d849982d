"""Turning a live session's recording into a replay lesson (for streaming/, issue 6).

Contract of `replay_publish` — what the caller hands over and what it gets back:

* `hls_dir` is a local directory holding an already-packaged VOD HLS recording:
  - `master.m3u8`, a master playlist whose variants (EXT-X-STREAM-INF, with RESOLUTION and
    BANDWIDTH) and alternative renditions (EXT-X-MEDIA … URI="…") point by *relative* URI to
  - media playlists (ENDLIST present or not) whose segments (.ts, .m4s, .mp4, .aac) and
    initialisation sections (EXT-X-MAP URI="…") are also relative URIs inside `hls_dir`.
  Every URI must stay inside the directory (no "..", no absolute path or URL) and be made of
  letters, digits, "_" and "-" with one extension, e.g. `720p/seg00012.ts`. Files the playlists
  do not reference are ignored. The directory is only read; the caller removes it afterwards.
* An audio-only variant, if present, is what 党课随身听 plays and becomes the downloadable m4a:
  an EXT-X-MEDIA TYPE=AUDIO rendition, or a variant whose CODECS list only audio (mp4a).
* `duration` is the recording's length in seconds (> 0); `poster` an optional image file (JPEG,
  PNG, WebP — converted to JPEG). Without one, a frame of the recording becomes the poster.
* `visibility` is "public", "members" or "orgs" (then `orgs` must name at least one party
  organisation); it applies to the new lesson. The lesson sits in the course titled "直播回放",
  created (public, topic "live replays") under /courses/ if missing; if an editor has since
  narrowed that course, the narrower rule wins.
* `organiser` becomes the page owner and the author of the published revision.

Returns the published LessonPage, whose `media` is a ready MediaAsset. Raises
django.core.exceptions.ValidationError (translated message) for a package that breaks the
contract; nothing is stored then. Requires ffmpeg only for the m4a and the fallback poster —
without ffmpeg the replay is still published, without them.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import PartyOrg, User
from core.services.audit import audit_record
from learning.models import CoursePage, LessonKind, LessonPage, LessonVisibility, MediaAsset, Topic, Visibility
from learning.services.courses import course_create, course_index_get_or_create, lesson_create
from learning.services.errors import MediaError
from learning.services.media import MEDIA_ROOT_PREFIX, storage_delete_tree, storage_save_tree
from learning.services.transcode import audio_file_argv, poster_argv, require_ffmpeg, run_quiet
from learning.signing import SAFE_MEDIA_PATH

logger = logging.getLogger(__name__)

REPLAY_COURSE_TITLE = "直播回放"
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')


def _attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTRIBUTE.findall(line.split(":", 1)[1] if ":" in line else "")}


def _bad(reason: str) -> ValidationError:
    return ValidationError(_("The recording's HLS package is incomplete: %(reason)s") % {"reason": reason})


def _checked_uri(base: Path, uri: str, root: Path) -> Path:
    """The path inside root that a playlist's relative URI names."""
    relative = (base / uri).as_posix()
    if "://" in uri or uri.startswith("/") or ".." in Path(uri).parts:
        raise _bad(_("“%(uri)s” points outside the recording's folder.") % {"uri": uri})
    if not SAFE_MEDIA_PATH.match(relative):
        raise _bad(_("“%(uri)s” is not a plain file name (letters, digits, “_” and “-”).") % {"uri": uri})
    path = root / relative
    if not path.is_file():
        raise _bad(_("“%(uri)s” is missing.") % {"uri": relative})
    return Path(relative)


def _media_playlist_files(root: Path, playlist: Path) -> list[Path]:
    files = [playlist]
    base = playlist.parent
    lines = (root / playlist).read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or lines[0].strip() != "#EXTM3U":
        raise _bad(_("“%(name)s” is not an HLS playlist.") % {"name": playlist.as_posix()})
    segments = 0
    for line in (raw.strip() for raw in lines):
        if not line:
            continue
        if line.startswith("#EXT-X-MAP:"):
            files.append(_checked_uri(base, _attributes(line).get("URI", ""), root))
        elif not line.startswith("#"):
            files.append(_checked_uri(base, line, root))
            segments += 1
    if not segments:
        raise _bad(_("“%(name)s” lists no segments.") % {"name": playlist.as_posix()})
    return files


def read_hls_package(root: Path) -> tuple[list[Path], list[dict], str]:
    """Check the package; return (files to copy, video renditions, audio-only playlist or "")."""
    master = root / "master.m3u8"
    if not master.is_file():
        raise _bad(_("there is no master.m3u8."))
    lines = [line.strip() for line in master.read_text(encoding="utf-8", errors="replace").splitlines()]
    if not lines or lines[0] != "#EXTM3U":
        raise _bad(_("master.m3u8 is not an HLS playlist."))
    files: list[Path] = [Path("master.m3u8")]
    renditions: list[dict] = []
    audio_playlist = ""
    pending_variant: dict[str, str] | None = None
    for line in lines[1:]:
        if not line:
            continue
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending_variant = _attributes(line)
        elif line.startswith("#EXT-X-MEDIA:"):
            attrs = _attributes(line)
            if attrs.get("URI"):
                playlist = _checked_uri(Path("."), attrs["URI"], root)
                files += _media_playlist_files(root, playlist)
                if attrs.get("TYPE") == "AUDIO" and not audio_playlist:
                    audio_playlist = playlist.as_posix()
        elif line.startswith("#EXT-X-I-FRAME-STREAM-INF:"):
            attrs = _attributes(line)
            if attrs.get("URI"):
                files += _media_playlist_files(root, _checked_uri(Path("."), attrs["URI"], root))
        elif not line.startswith("#"):
            attrs = pending_variant or {}
            pending_variant = None
            playlist = _checked_uri(Path("."), line, root)
            files += _media_playlist_files(root, playlist)
            codecs = attrs.get("CODECS", "")
            width, _x, height = attrs.get("RESOLUTION", "").partition("x")
            if width.isdigit() and height.isdigit():
                name = playlist.parent.name if playlist.parent.name not in ("", ".") else f"{height}p"
                renditions.append(
                    {
                        "name": name,
                        "width": int(width),
                        "height": int(height),
                        "bandwidth": int(attrs.get("BANDWIDTH", "0") or 0),
                        "playlist": playlist.as_posix(),
                    }
                )
            elif codecs and all(c.strip().startswith("mp4a") for c in codecs.split(",")) and not audio_playlist:
                audio_playlist = playlist.as_posix()
    if not renditions and not audio_playlist:
        raise _bad(_("master.m3u8 lists no playable variant."))
    renditions.sort(key=lambda r: -r["height"])
    return list(dict.fromkeys(files)), renditions, audio_playlist


def _extras(root: Path, out: Path, audio_playlist: str, renditions: list[dict], poster: Path | None) -> dict:
    """The m4a and the poster, made with ffmpeg into `out`; a missing ffmpeg leaves them out."""
    made = {"audio_file": False, "audio_size": 0, "poster": False}
    try:
        binary = require_ffmpeg()
    except MediaError:
        return made
    if audio_playlist:
        try:
            run_quiet(audio_file_argv(binary=binary, audio_playlist=root / audio_playlist, target=out / "audio.m4a"))
            made.update(audio_file=True, audio_size=(out / "audio.m4a").stat().st_size)
        except MediaError as exc:
            logger.warning("replay: no m4a from %s: %s", audio_playlist, exc.detail[-300:])
    frame_source, input_options = None, {}
    if poster is not None and Path(poster).is_file():
        frame_source = Path(poster)
    elif renditions:
        frame_source = root / renditions[-1]["playlist"]
        input_options = {"allowed_extensions": "ALL", "ss": 1}
    if frame_source is not None:
        try:
            run_quiet(
                poster_argv(
                    binary=binary,
                    source=frame_source,
                    input_options=input_options,
                    target=out / "poster.jpg",
                    width="min(1280,iw)",
                    height=-2,
                ),
                timeout=60,
            )
            made["poster"] = (out / "poster.jpg").is_file()
        except MediaError as exc:
            logger.warning("replay: no poster: %s", exc.detail[-300:])
    return made


def _replay_course(organiser: User) -> CoursePage:
    course = CoursePage.objects.filter(title=REPLAY_COURSE_TITLE).order_by("path").first()
    if course is not None:
        return course
    index = course_index_get_or_create()
    return course_create(
        index=index,
        title=REPLAY_COURSE_TITLE,
        slug="replays",
        topic=Topic.REPLAY,
        visibility=Visibility.PUBLIC,
        summary="主会场直播结束后自动生成的回放，错过直播的同志可以随时补学。",
        owner=organiser,
    )


def replay_publish(
    *,
    title: str,
    hls_dir: Path,
    duration: float,
    poster: Path | None,
    organiser: User,
    visibility: str = Visibility.MEMBERS,
    orgs: Iterable[PartyOrg] = (),
    description: str = "",
) -> LessonPage:
    """Import a packaged HLS recording as a ready MediaAsset and publish it as a replay lesson.

    See the module docstring for the full contract."""
    root = Path(hls_dir)
    orgs = list(orgs)
    title = (title or "").strip()[:200]
    if not title:
        raise ValidationError(_("A replay needs a title."))
    if not root.is_dir():
        raise _bad(_("the folder does not exist."))
    if not duration or duration <= 0:
        raise ValidationError(_("A replay needs its duration."))
    lesson_visibility: str | None = {
        str(Visibility.PUBLIC): LessonVisibility.COURSE,
        str(Visibility.MEMBERS): LessonVisibility.MEMBERS,
        str(Visibility.ORGS): LessonVisibility.ORGS,
    }.get(visibility)
    if lesson_visibility is None:
        raise ValidationError(_("Unknown visibility “%(value)s”.") % {"value": visibility})
    if lesson_visibility == LessonVisibility.ORGS and not orgs:
        raise ValidationError(_("Choose at least one party organisation, or change who can see this."))
    files, renditions, audio_playlist = read_hls_package(root)

    key = secrets.token_hex(16)
    work = Path(tempfile.mkdtemp(prefix="learning-replay-"))
    try:
        out = work / "package"
        for relative in files:
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relative, target)
        extras = _extras(root, out, audio_playlist, renditions, poster)
        try:
            storage_save_tree(out, f"{MEDIA_ROOT_PREFIX}/{key}")
        except (MediaError, OSError) as exc:
            storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{key}")
            raise ValidationError(_("The converted files could not be saved. Try again later.")) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)

    try:
        with transaction.atomic():
            now = timezone.now()
            top = renditions[0] if renditions else None
            asset = MediaAsset.objects.create(
                title=title,
                source_name=f"{root.name}/master.m3u8",
                kind="video" if renditions else "audio",
                status=MediaAsset.Status.READY,
                progress=1.0,
                duration=float(duration),
                width=top["width"] if top else None,
                height=top["height"] if top else None,
                probe={"imported": "hls", "files": len(files)},
                storage_key=key,
                renditions=[
                    {k: r[k] for k in ("name", "width", "height", "bandwidth", "playlist")} for r in renditions
                ],
                audio_playlist=audio_playlist,
                has_audio_file=extras["audio_file"],
                audio_file_size=extras["audio_size"],
                has_poster=extras["poster"],
                started_at=now,
                finished_at=now,
                created_by=organiser,
            )
            course = _replay_course(organiser)
            lesson = lesson_create(
                course=course,
                title=title,
                owner=organiser,
                slug=f"replay-{now:%Y%m%d-%H%M}-{key[:6]}",
                kind=LessonKind.VIDEO if renditions else LessonKind.AUDIO,
                media=asset,
                summary=description[:300],
                visibility=lesson_visibility,
                orgs=orgs if lesson_visibility == LessonVisibility.ORGS else (),
                log_revision=True,
            )
            audit_record(
                actor=organiser,
                action="learning.replay.publish",
                obj=lesson,
                detail={"asset": asset.pk, "duration": duration},
            )
    except Exception:
        storage_delete_tree(f"{MEDIA_ROOT_PREFIX}/{key}")
        raise
    return lesson
