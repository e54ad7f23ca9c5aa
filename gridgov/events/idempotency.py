"""Idempotent creates: the same Idempotency-Key replays the stored answer; the same key with another body is a 422;
concurrent duplicates produce exactly one row (the key row is written in the create's own transaction, so a second
request with the key waits for the first and then replays it)."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.common.errors import ValidationFailed
from gridgov.events.models import IdempotencyKey

MAX_KEY = 128


def request_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def run_idempotent(*, owner: str, key: str | None, payload, create: Callable[..., tuple[int, dict]],
                   prepare: Callable[[], Any] | None = None) -> tuple[int, dict]:
    """Run ``create`` once per (owner, key). ``prepare`` (optional) does the checks and decisions that need no lock
    before the transaction; its result is passed to ``create``, which runs inside it. The key row is written at the
    end of that same transaction with the answer, so a rival request with the same key either finds it (replay) or
    fails on the unique key and rolls back everything it wrote (then replays the winner's answer)."""
    if key and len(key) > MAX_KEY:
        raise ValidationFailed(_("The Idempotency-Key is longer than %(n)d characters.") % {"n": MAX_KEY},
                               field="Idempotency-Key")
    digest = request_hash(payload) if key else ""
    if key and (stored := IdempotencyKey.objects.filter(owner=owner, key=key).first()) is not None:
        return _replay(stored, digest)
    args = (prepare(),) if prepare is not None else ()
    if not key:
        with transaction.atomic():
            return create(*args)
    try:
        with transaction.atomic():
            status, body = create(*args)  # a refused request writes no key: a corrected retry may succeed
            IdempotencyKey.objects.create(owner=owner, key=key, request_hash=digest, status_code=status,
                                          response=body)
            return status, body
    except IntegrityError:
        stored = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if stored is None:
            raise
        return _replay(stored, digest)


def _replay(stored: IdempotencyKey, digest: str) -> tuple[int, dict]:
    if stored.request_hash != digest:
        raise ValidationFailed(_("This Idempotency-Key was already used for a different request."),
                               field="Idempotency-Key", code="idempotency_mismatch")
    return stored.status_code, stored.response
