"""What the resumable upload endpoint (core.resumable) accepts for lesson media: who, how large, which
names, and what a finished file's first bytes must be.

The sniff is a cheap first look, so a renamed document or program is refused the moment it arrives
instead of queueing a conversion; ffprobe in the pipeline (learning.services.probe) still decides
what the file really holds, as for a file uploaded in one request.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.utils.translation import gettext as _

from core.bodylimit import MB
from core.resumable import UploadPolicy
from learning.models import MEDIA_EXTENSIONS

ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")  # WMA / WMV


def sniff_media(head: bytes) -> str | None:
    """The container the bytes look like (None for anything that is no audio or video we take)."""
    if head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "mp4"  # MP4, M4V, M4A, MOV, 3GP
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # MKV, WebM
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"WAVE"):
        return "riff"
    if head.startswith(b"FLV"):
        return "flv"
    if head.startswith(b"OggS"):
        return "ogg"  # OGG, OGA, Opus
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(ASF_GUID):
        return "asf"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mpeg-audio"  # an MP3 frame or an ADTS (AAC) header
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "mpeg-ts"
    return None


def may_upload_media(user) -> bool:
    return bool(user.has_perm("wagtailadmin.access_admin") and user.has_perm("learning.add_mediaasset"))


def check_media_name(filename: str) -> str:
    extension = os.path.splitext(filename)[1].lower().lstrip(".")
    if extension in MEDIA_EXTENSIONS:
        return ""
    return _("Files of this type cannot be uploaded (allowed: %(extensions)s).") % {
        "extensions": ", ".join(MEDIA_EXTENSIONS)
    }


def check_media_content(head: bytes) -> str:
    if sniff_media(head):
        return ""
    return _("This file is not a video or audio file. Check that you chose the right file.")


def media_max_length() -> int:
    return int(settings.LEARNING_MAX_UPLOAD_MB) * MB


MEDIA_UPLOADS = UploadPolicy(
    may_upload=may_upload_media,
    max_length=media_max_length,
    check_name=check_media_name,
    check_content=check_media_content,
)
