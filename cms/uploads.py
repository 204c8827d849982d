"""Upload checks for the Wagtail image and document forms (WAGTAIL*_FORM_BASE in settings).

The real type of a file is read from its first bytes, never from the client's file name or MIME
type; the name's extension must then agree with it. Images must also decode and stay within the
size and pixel limits; Office files must be the archive or compound file their format says. Every
rejection carries a message in the reader's language (Chinese by default).
"""

from __future__ import annotations

import os
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm

SNIFF_BYTES = 4096
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

IMAGE_EXTENSIONS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "gif": "gif", "webp": "webp"}
IMAGE_LABELS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP"}

# Office Open XML files are zip archives holding this folder.
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def _head(upload) -> bytes:
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(position)
    return head


def sniff_image(head: bytes) -> str | None:
    """The image format the bytes are, whatever the file is called."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def check_image_upload(upload) -> None:
    head = _head(upload)
    real = sniff_image(head)
    allowed = ", ".join(sorted({IMAGE_LABELS[v] for v in IMAGE_EXTENSIONS.values()}))
    if real is None:
        raise ValidationError(
            _("This file is not a picture we accept (allowed: %(formats)s).") % {"formats": allowed}, code="not_image"
        )
    claimed = IMAGE_EXTENSIONS.get(_extension(upload.name))
    if claimed != real:
        raise ValidationError(
            _(
                "The file name says .%(extension)s but the file is a %(image_format)s picture; "
                "rename it or save it again."
            )
            % {"extension": _extension(upload.name) or "?", "image_format": IMAGE_LABELS[real]},
            code="extension_mismatch",
        )


def check_document_upload(upload) -> None:
    limit = settings.CMS_DOCUMENT_MAX_UPLOAD_SIZE
    if upload.size > limit:
        raise ValidationError(
            _("This file is too big (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_big",
        )
    if upload.size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    extension = _extension(upload.name)
    head = _head(upload)
    mismatch = ValidationError(
        _("The file name says .%(extension)s but its content is not a file of that type; it may be damaged or renamed.")
        % {"extension": extension or "?"},
        code="extension_mismatch",
    )
    if extension == "pdf":
        if not head.startswith(b"%PDF-"):
            raise mismatch
    elif extension in ("doc", "xls", "ppt"):
        if not head.startswith(OLE2_MAGIC):
            raise mismatch
    elif extension in OOXML_FOLDERS or extension == "zip":
        if not head.startswith(ZIP_MAGICS):
            raise mismatch
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise mismatch from None
        finally:
            upload.seek(0)
        folder = OOXML_FOLDERS.get(extension)
        if folder and not ("[Content_Types].xml" in names and any(n.startswith(folder) for n in names)):
            raise mismatch
    elif extension == "txt":
        if b"\x00" in head:
            raise mismatch
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
                break
            except UnicodeDecodeError as exc:
                # A multi-byte character cut by the sniff window is fine.
                if exc.start >= len(head) - 4:
                    break
        else:
            raise mismatch
    # Other extensions are refused by Wagtail's own WAGTAILDOCS_EXTENSIONS check.


class CheckedImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None:
            # Wagtail's own checks (size, pixels, decoding) in our catalogue's words.
            field.error_messages.update(
                invalid_image=gettext_lazy("This file is not a picture, or the picture is damaged."),
                file_too_large=gettext_lazy("This file is too big (%(file_size)s); the limit is %(max_filesize)s."),
                file_too_many_pixels=gettext_lazy(
                    "This picture has too many pixels (%(num_pixels)s); the limit is %(max_pixels_count)s."
                ),
                invalid_image_known_format=gettext_lazy(
                    "The file name says .%(extension)s but the file is a %(image_format)s picture; "
                    "rename it or save it again."
                ),
                invalid_image_extension=gettext_lazy("This file is not a picture we accept (allowed: %(formats)s).")
                % {"formats": ", ".join(sorted(set(IMAGE_LABELS.values())))},
            )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and "file" in self.changed_data:
            check_image_upload(upload)
        return upload


class CheckedDocumentForm(BaseDocumentForm):
    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and "file" in self.changed_data:
            check_document_upload(upload)
        return upload
