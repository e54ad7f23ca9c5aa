"""Writing audit rows. Services call ``audit_record`` inside their own transaction."""

from typing import Any

from gridgov.common.models import AuditLog


def audit_record(
    *,
    actor,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    outcome: str = AuditLog.Outcome.SUCCESS,
    ip: str | None = None,
    detail: dict | None = None,
) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=real_actor,
        actor_name=getattr(real_actor, "username", "") or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        outcome=outcome,
        ip=ip,
        detail=detail or {},
    )


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
