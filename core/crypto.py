"""Personal data at rest: encrypted columns and keyed hashes, from one key in the environment.

`FIELD_ENCRYPTION_KEY` (a Fernet key: 32 random bytes, URL-safe base64; make one with
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`) is
the only secret. Two sub-keys are derived from it with HKDF, so a leak of one use never gives
the other: one encrypts (Fernet: AES-128-CBC + HMAC-SHA256, a fresh IV per value, so equal
values never look equal in the database), one keys the HMAC-SHA256 "blind index" that finds a
value again (duplicate ID numbers on import) without storing it.

Losing the key loses the data it protects: back it up apart from the database backups.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

from config.env import field_key_is_valid


class DecryptionError(Exception):
    """A stored value does not decrypt with any configured key (wrong or lost FIELD_ENCRYPTION_KEY)."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dangjian:" + purpose).derive(master)


def _master_key() -> bytes:
    key = str(settings.FIELD_ENCRYPTION_KEY or "")
    if not key:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set")
    if not field_key_is_valid(key):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be 32 bytes in URL-safe base64 (a Fernet key)")
    return base64.urlsafe_b64decode(key.strip().encode())


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(_master_key(), b"encrypt")))


@lru_cache(maxsize=1)
def _index_key() -> bytes:
    return _derive(_master_key(), b"blind-index")


def _reset(**kwargs) -> None:
    if kwargs.get("setting") == "FIELD_ENCRYPTION_KEY":
        _fernet.cache_clear()
        _index_key.cache_clear()


setting_changed.connect(_reset)


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        # Never echo the token: the message ends up in logs.
        raise DecryptionError("a stored value does not decrypt with FIELD_ENCRYPTION_KEY") from None


def encrypt_bytes(data: bytes) -> bytes:
    """A file's contents encrypted like a column (uploads holding personal data, kept until processed)."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken:
        raise DecryptionError("a stored file does not decrypt with FIELD_ENCRYPTION_KEY") from None


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash (hex) that finds equal values again; `purpose` keeps two columns' indexes apart."""
    message = purpose.encode() + b"\x00" + value.encode()
    return hmac.new(_index_key(), message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python sees the plain value. Empty stays empty (not a secret).

    It cannot be filtered or ordered on: pair it with a `blind_index` column for equality lookups.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)

    def value_to_string(self, obj) -> str:
        # dumpdata and serializers must never write the plain value out.
        return "***"

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull", "exact"}:
            return None
        return super().get_lookup(lookup_name)
