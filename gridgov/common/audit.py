"""Writing audit rows. Services call ``audit_record`` inside their own transaction.

Changes made in the admin are recorded field by field (``audit_snapshots`` before and after the change, then
``audit_change_rows``): each changed field with its value before and after, secrets masked, in the same transaction
as the change (gridgov.common.admin_site.AuditedAdminMixin, docs/permissions.md).
"""

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from gridgov.common.fields import EncryptedTextField
from gridgov.common.masking import mask_phone
from gridgov.common.models import AuditLog

MASK = "******"
# A field whose name contains one of these holds a secret: the audit says that it changed, never what it holds.
SECRET_WORDS = ("password", "secret", "key_hash", "api_key", "token")
LONG_VALUE = 2000  # characters; longer values (a boundary, a long text) are recorded by length and digest


def audit_entry(
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
    """An unsaved audit row (``audit_record`` saves one; ``AuditLog.objects.bulk_create`` saves many)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog(
        actor=real_actor,
        actor_name=getattr(real_actor, "username", "") or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        outcome=outcome,
        ip=ip,
        detail=detail or {},
    )


def audit_record(**kwargs) -> AuditLog:
    entry = audit_entry(**kwargs)
    entry.save()
    return entry


def audit_count_on(day, *, outcome: str | None = None) -> int:
    """Audit entries of a local day (what the audit log's date drill-down lists for that day), of one outcome."""
    qs = AuditLog.objects.filter(at__date=day)
    return qs.filter(outcome=outcome).count() if outcome else qs.count()


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


# --- field-by-field snapshots and differences ---------------------------------------------------------------------

def _audited_fields(model) -> tuple[list, list]:
    """(concrete fields, many-to-many fields) worth recording: not the primary key, not the automatic timestamps."""
    concrete = [f for f in model._meta.concrete_fields
                if not f.primary_key and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)]
    return concrete, list(model._meta.many_to_many)


def is_secret(field) -> bool:
    return isinstance(field, EncryptedTextField) or any(word in field.name for word in SECRET_WORDS)


def _plain(value, secret: bool):
    """A value as JSON holds it. Secrets become a digest (compared, never shown); long values a length and digest."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if secret:
        return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest() if value != "" else ""
    if isinstance(value, models.fields.files.FieldFile):
        value = value.name or ""
    if isinstance(value, (dt.date, dt.time, decimal.Decimal, uuid.UUID)):
        return DjangoJSONEncoder().default(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                           cls=DjangoJSONEncoder)
    if len(text) > LONG_VALUE:
        return f"[{len(text)} characters, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}]"
    return value


class Snapshot(dict):
    """One object's recorded fields (name → plain value), with its label as the admin shows it."""

    label = ""


def audit_label(obj) -> str:
    """The object as the admin names it; an account also by its username, which is what people search for."""
    text = str(obj)
    username = obj.get_username() if hasattr(obj, "get_username") else ""
    return f"{text} ({username})" if username and username != text else text


def audit_snapshots(queryset) -> dict[Any, Snapshot]:
    """pk → Snapshot for every object of ``queryset``, read from the database (many-to-many in one query each)."""
    model = queryset.model
    concrete, many = _audited_fields(model)
    recorded = [(f.name, f.value_from_object, is_secret(f)) for f in concrete]
    result: dict[Any, Snapshot] = {}
    for obj in queryset.iterator(chunk_size=1000):
        snap = Snapshot({name: _plain(value_of(obj), secret) for name, value_of, secret in recorded})
        snap.label = audit_label(obj)
        for field in many:
            snap[field.name] = []
        result[obj.pk] = snap
    for field in many:
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        pairs = through._base_manager.filter(**{f"{source}__in": queryset.values("pk")}).values_list(
            f"{source}_id", f"{target}_id")
        for owner, other in pairs:
            if owner in result:
                result[owner][field.name].append(other)
        for snap in result.values():
            snap[field.name].sort()
    return result


def audit_snapshot(obj) -> Snapshot | None:
    """One object's Snapshot as the database holds it now (None once it is gone)."""
    return audit_snapshots(type(obj)._base_manager.filter(pk=obj.pk)).get(obj.pk)


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def audit_change_rows(*, actor, ip, model, changes: list[tuple[Any, Snapshot | None, Snapshot | None]],
                      action: str | None = None, extra: dict | None = None) -> list[AuditLog]:
    """Unsaved audit rows, one per object that changed: ``changes`` holds (pk, before, after), with None before for
    a new object and None after for a deleted one. The action is ``admin.create``, ``admin.change`` or
    ``admin.delete`` unless given (it is then used for changes; creations and deletions keep theirs). Each row's detail is ``{"object": label, "changes": {field:
    {"before": …, "after": …}}, …extra}``: foreign keys and many-to-many as "label (#id)", secrets masked, phone
    numbers masked as in every list. Objects whose recorded fields did not change get no row."""
    concrete, many = _audited_fields(model)
    fields = {f.name: f for f in [*concrete, *many]}
    diffs = []
    for pk, before, after in changes:
        diff = {}
        for name in fields:
            old = before.get(name) if before is not None else None
            new = after.get(name) if after is not None else None
            if before is not None and after is not None and old == new:
                continue
            if (before is None or after is None) and _empty(old) and _empty(new):
                continue
            diff[name] = (old, new)
        if diff:
            verb = "admin.create" if before is None else "admin.delete" if after is None else action or "admin.change"
            diffs.append((pk, verb, (after if after is not None else before).label, diff))
    labels = _related_labels(fields, diffs)
    rows = []
    for pk, verb, label, diff in diffs:
        shown = {name: {"before": _shown(fields[name], old, labels), "after": _shown(fields[name], new, labels)}
                 for name, (old, new) in diff.items()}
        rows.append(audit_entry(actor=actor, action=verb, object_type=model._meta.label_lower, object_id=pk, ip=ip,
                                detail={"object": label, "changes": shown, **(extra or {})}))
    return rows


def _related_labels(fields: dict, diffs: list) -> dict:
    """(related model, pk) → "label (#pk)" for every related object named in the differences, one query a model."""
    wanted: dict[Any, set] = {}
    for _pk, _verb, _label, diff in diffs:
        for name, values in diff.items():
            field = fields[name]
            if field.is_relation:
                for value in values:
                    for pk in (value if isinstance(value, list) else [value]):
                        if pk is not None:
                            wanted.setdefault(field.related_model, set()).add(pk)
    labels = {}
    for related, pks in wanted.items():
        found = related._base_manager.in_bulk(list(pks))
        for pk in pks:
            labels[related, pk] = f"{found[pk]} (#{pk})" if pk in found else f"#{pk}"
    return labels


def _shown(field, value, labels: dict):
    if value is None:
        return None
    if is_secret(field):
        return MASK if value != "" else ""
    if field.is_relation:
        if isinstance(value, list):
            return [labels[field.related_model, pk] for pk in value]
        return labels[field.related_model, value]
    if "phone" in field.name and isinstance(value, str):
        return mask_phone(value)
    return value
