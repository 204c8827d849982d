"""One policy for text from users (forms, JSON APIs, WebSockets).

- Invalid Unicode (a lone surrogate, which a JSON `\\ud800` escape or surrogate bytes in a JSON body
  can produce, or bytes that are not UTF-8; form posts are decoded with replacement) is refused with
  a clear message: 400 for HTTP (TextInputMiddleware),
  4400 for sockets (`json_loads` raises ValueError, which the consumers answer with 4400). It must
  never reach the database, where PostgreSQL refuses it (a 500) and SQLite stores garbage.
- Names and titles lose bidirectional and invisible control characters (`clean_line`): a
  right-to-left override makes "gpj.exe" read as "exe.jpg", zero-width characters make two equal
  names differ. Body text keeps line breaks but loses the same controls (`clean_text`). Every
  form post (any form, any app, the admins) gets `clean_text` at the door (TextInputMiddleware), so
  a form that forgets is still covered; titles and chat also get their own stricter cleaning.
- Numbers (phone, ID) are ASCII digits only: core.validators.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidi embeddings, overrides, isolates and marks, zero-width characters, the BOM, the soft hyphen,
# invisible operators and interlinear annotation marks; C0/C1 controls (tab and newline kept in text).
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
_CONTROLS_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_CONTROLS_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")


class InvalidText(ValueError):  # noqa: N818 - reads as "invalid text"; a ValueError like bad JSON
    """User text that is not valid Unicode."""


def has_invalid_unicode(value: Any) -> bool:
    """Whether `value` (a string, or JSON-like lists and dicts of them) holds a lone surrogate."""
    if isinstance(value, str):
        return LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_invalid_unicode(k) or has_invalid_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_invalid_unicode(item) for item in value)
    return False


def json_loads(text: str | bytes) -> Any:
    """json.loads that refuses invalid Unicode (InvalidText, a ValueError) like malformed JSON."""
    value = json.loads(text)
    if has_invalid_unicode(value):
        raise InvalidText("text contains invalid Unicode (a lone surrogate)")
    return value


def clean_line(value: str) -> str:
    """A name or title: NFC, no control, bidi or invisible characters, runs of spaces made one."""
    value = _CONTROLS_LINE.sub("", unicodedata.normalize("NFC", value))
    return re.sub(r"[ \u3000]{2,}", " ", value).strip()


def clean_text(value: str) -> str:
    """Body text: like clean_line, but line breaks and tabs stay."""
    return _CONTROLS_TEXT.sub("", unicodedata.normalize("NFC", value))


def ascii_int(value: str) -> int | None:
    """The number written in ASCII digits, else None. `str.isdigit()` also says yes to "²" and "٣",
    which int() refuses or reads as a number no one typed: a 500, or a wrong number, not a refusal."""
    return int(value) if value.isascii() and value.isdigit() else None


def invalid_text_message() -> str:
    return _("The text contains invalid characters. Please retype it.")


# Bodies Django decodes itself, with replacement (so no invalid Unicode survives): their fields are
# cleaned. Anything else that is text is checked whole.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_text_body(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json") or content_type.startswith("text/")


def _is_secret_field(name: str) -> bool:
    # A password is compared as typed: cleaning it would lock out whoever chose one with such a character.
    return "password" in name.lower()


class TextInputMiddleware:
    """The policy at the door, for every view (the site's, Wagtail's admin, Django's admin, the forum, the API).

    - A JSON or text body that is not valid UTF-8, or whose JSON holds a lone surrogate (a `\\ud800`
      escape, or one encoded in the bytes, which Python's JSON reader lets through), is refused with
      400 and a clear message before any view (or django-ninja) parses it.
    - Form fields (every POSTed field but passwords) lose control, bidi and invisible characters
      (`clean_text`: line breaks and tabs stay), so no name or title is stored with a right-to-left
      override or a zero-width space, whichever form takes it. Runs in process_view, after the CSRF
      check, so a refused request's body is not parsed for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH") and _is_text_body(request.content_type or ""):
            raw = request.body
            try:
                raw.decode("utf-8")  # strict: also refuses surrogates encoded in the bytes
                if raw.lstrip()[:1] in (b"{", b"[") and b"\\u" in raw.lower():  # only an escape can carry one now
                    json_loads(raw)
            except (InvalidText, UnicodeDecodeError):
                return JsonResponse({"detail": invalid_text_message()}, status=400)
            except ValueError:
                pass  # malformed JSON is the view's to refuse, in its own words
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if request.method == "POST" and request.content_type in FORM_TYPES:
            posted = request.POST
            if any(_needs_cleaning(name, value) for name, value in posted.lists()):
                cleaned = posted.copy()
                for name, values in posted.lists():
                    if not _is_secret_field(name):
                        cleaned.setlist(name, [clean_text(value) for value in values])
                cleaned._mutable = False
                request.POST = cleaned  # type: ignore[assignment]  # immutable again, above; stubs want the subclass
        return None


def _needs_cleaning(name: str, values: list[str]) -> bool:
    return not _is_secret_field(name) and any(_CONTROLS_TEXT.search(value) for value in values)
