"""The audit log: who looked at or changed sensitive data."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from core.client_address import client_address
from core.masking import mask_name
from core.models import AuditLog, User

# A record with one of these fields describes a person: its name is kept masked in the log, like on screen.
PERSONAL_FIELDS = {"phone", "mobile", "id_number"}


def audit_label(obj: models.Model) -> str:
    label = str(obj)[:200]
    if PERSONAL_FIELDS & {field.name for field in obj._meta.get_fields()}:
        return mask_name(label)
    return label


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=audit_label(obj) if obj is not None else "",
        ip=client_address(request),
        detail=detail or {},
    )
