"""Why a media file could not be used, as codes stored on the asset and messages in the reader's language.

The asset keeps the code and its parameters, not a sentence, so an editor who reads the admin in
English and one who reads it in Chinese both get the message in their own language.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext


class MediaError(Exception):
    """A failure that belongs to one file; `detail` is ffmpeg's own words, for whoever investigates."""

    def __init__(self, code: str, detail: str = "", **params) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.params = params

    def __str__(self) -> str:
        return error_message(self.code, self.params)


class MediaCancelledError(MediaError):
    def __init__(self) -> None:
        super().__init__("cancelled")


def _seconds(value) -> str:
    value = float(value or 0)
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}:{seconds:02d}"


def error_message(code: str, params: dict | None = None) -> str:
    params = params or {}
    if code == "empty":
        return gettext("The file is empty (0 bytes). Upload it again.")
    if code == "unreadable":
        return gettext(
            "This is not a video or audio file that can be read: it may be damaged, or another kind of file "
            "renamed. Export it again as MP4 (video) or MP3/M4A (audio)."
        )
    if code == "truncated":
        return gettext(
            "The file is incomplete (it was cut off while uploading or copying). Upload the whole file again."
        )
    if code == "ended_early":
        return gettext(
            "The file is incomplete or damaged: it stops playing at %(at)s of %(total)s. Upload the whole file again."
        ) % {"at": _seconds(params.get("at")), "total": _seconds(params.get("total"))}
    if code == "no_streams":
        return gettext("The file contains neither a picture nor sound that can be played.")
    if code == "too_short":
        return gettext("The file is too short to be a lesson (less than one second).")
    if code == "too_long":
        hours = int(params.get("hours", 0))
        return ngettext(
            "The file is longer than the limit of %(hours)d hour.",
            "The file is longer than the limit of %(hours)d hours.",
            hours,
        ) % {"hours": hours}
    if code == "no_ffmpeg":
        return gettext("The media converter (ffmpeg) is not available on this server. Ask the administrator.")
    if code == "ffmpeg_failed":
        return gettext("Converting the file failed. Try again, or export the file again as MP4 or MP3.")
    if code == "storage":
        return gettext("The converted files could not be saved. Try again later.")
    if code == "stalled":
        return gettext("The conversion stopped without finishing (the worker was interrupted). Try again.")
    if code == "cancelled":
        return gettext("The conversion was cancelled.")
    if code == "bad_package":
        return gettext("The recording's HLS package is incomplete: %(reason)s") % {"reason": params.get("reason", "")}
    return gettext("Converting the file failed. Try again, or export the file again as MP4 or MP3.")
