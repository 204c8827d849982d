"""The audit log: who looked at or changed sensitive data."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from core.models import AuditLog, User


def client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is forgeable unless a trusted proxy sets it, and the
    # deployment docs put Daphne behind one that overwrites REMOTE_ADDR (--proxy-headers).
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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
        object_repr=str(obj)[:200] if obj is not None else "",
        ip=client_ip(request),
        detail=detail or {},
    )
