"""Addresses folded for matching: the same building typed twice (full-width digits, spaces, case)
must be found again on re-import."""

from __future__ import annotations

import re
import unicodedata


def address_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()
