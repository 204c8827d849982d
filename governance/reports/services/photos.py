"""Photos from phones: sniffed by content (never the file name or the browser's MIME type), turned
upright, shrunk, re-encoded as JPEG without any metadata. The camera's GPS position is read first
and kept on the row (server-side only); the stored file carries no EXIF at all.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import pillow_heif
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.models import User
from governance.reports.models import Report, ReportPhoto

# iPhones send HEIC; the opener teaches Pillow to read it.
pillow_heif.register_heif_opener()

MAX_PHOTOS = 9
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_SIDE = 1600
JPEG_QUALITY = 82
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}
# A decompression bomb is refused before decoding (40 megapixels is more than any phone camera).
MAX_PIXELS = 40_000_000
GPS_IFD = 0x8825


@dataclass(frozen=True)
class ProcessedPhoto:
    content: bytes
    width: int
    height: int
    exif_latitude: Decimal | None
    exif_longitude: Decimal | None


def _dms(value, ref: str) -> Decimal | None:
    try:
        degrees, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if ref in ("S", "W"):
        result = -result
    return Decimal(f"{result:.6f}")


def _gps(image: Image.Image) -> tuple[Decimal | None, Decimal | None]:
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # broken EXIF blocks are common; the photo is still good
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    return _dms(gps[2], gps.get(1, "N")), _dms(gps[4], gps.get(3, "E"))


def photo_process(data: bytes) -> ProcessedPhoto:
    """Sniff, orient, shrink and re-encode one photo. Raises ValidationError for anything else."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("A photo may be at most 15 MB."))
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED_FORMATS:
            raise ValidationError(_("Only photos (JPEG, PNG, WebP or HEIC) can be uploaded."))
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(_("This photo is too large."))
        latitude, longitude = _gps(image)
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        # No exif= argument and a fresh image: nothing of the original's metadata is written.
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a photo we can read.")) from None
    return ProcessedPhoto(out.getvalue(), image.width, image.height, latitude, longitude)


def photos_process(files: list) -> list[ProcessedPhoto]:
    if len(files) > MAX_PHOTOS:
        raise ValidationError(_("At most 9 photos."))
    processed = []
    for f in files:
        if f.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("A photo may be at most 15 MB."))
        processed.append(photo_process(f.read()))
    return processed


def photos_attach(*, report: Report, photos: list[ProcessedPhoto], kind: str, by: User | None) -> list[ReportPhoto]:
    rows = []
    for p in photos:
        row = ReportPhoto(
            report=report,
            kind=kind,
            width=p.width,
            height=p.height,
            exif_latitude=p.exif_latitude,
            exif_longitude=p.exif_longitude,
            uploaded_by=by,
        )
        row.image.save("photo.jpg", ContentFile(p.content), save=False)
        row.save()
        rows.append(row)
    return rows
