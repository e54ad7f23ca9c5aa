"""Workflow as data plus one gatekeeper: the only code in gridgov that changes the status of a stateful thing.

A stateful model (a case, a dispute; later assessment reviews and tasks) has a status field, a version field and a
table of moves. Its app describes it once, as a ``Workflow``, and every status change goes through ``move()``:

    # gridgov/<app>/workflow.py — the table, the effects and the hooks; no gatekeeping code
    ACTIONS = {
        "settle": Move(frozenset({S.REGISTERED, S.MEDIATING}), S.SETTLED, MEDIATORS, _("settle with an agreement")),
        "supervise": Move(frozenset({S.HANDLING}), None, DISPATCHERS, _("supervise")),  # None: the status stays
        "auto_dispatch": Move(frozenset({S.REPORTED}), S.DISPATCHED, frozenset({SYSTEM}), _("dispatch ...")),
    }
    FLOW = Workflow(model=Dispute, prefix="dispute", moves=ACTIONS, effects={"settle": _effect_settle},
                    record=_record, initial=S.REGISTERED,
                    messages=Messages(...))

    # gridgov/<app>/services.py — a named service hands over
    def dispute_settle(*, actor, dispute_id, version, agreement):
        return move(FLOW, actor=actor, pk=dispute_id, action="settle", version=version, data={...})

``move()`` does, in one transaction and in this order (each refusal changes nothing and says why):

1. locks the row (``select_for_update``; a no-op on SQLite, whose writers are serialised anyway);
2. 404 ``NotFound`` unless the row exists *and* ``visible(queryset, actor)`` keeps it — by default the model's
   scope rule (``qs.restrict(actor)`` from ``common/scoping.py``, the rows the actor may see; who may
   *act* is the table's ``roles`` and ``may_act`` below);
3. 422 ``ValidationFailed(field="action")`` for an unknown action or one only the system takes (``SYSTEM`` roles:
   steps made automatically at intake), listing the moves allowed now in ``details``;
4. 409 ``Conflict`` when the caller's ``version`` is not the row's (someone moved it first), with the current
   status and version in ``details`` (``version=None`` skips the check: internal callers, the citizen's link);
5. 422 ``ValidationFailed(code="illegal_move")`` when the status is not one of the move's ``sources``; the message
   and ``details`` list the moves this actor may make now;
6. 403 ``PermissionDenied`` when the actor's role is not in the move's ``roles``;
7. the ``may_act(obj, actor, action)`` hook, which raises a domain error for finer rules ("this case is no longer
   with your department", "only the lead department returns a case");
8. the move's effect ``effects[action](obj, actor=, reason=, data=)``: validates its input (raising a domain
   error rolls everything back), writes what belongs to the move (fields of ``obj``, rows of its own) and may
   return another status than ``target`` if, and only if, that status is one of the move's ``branches`` (a rating
   of "unsatisfied" leads elsewhere than a good one); extra audit detail goes into ``data["_audit"]``;
9. sets the status, records the transition row through the ``record`` hook (also when the status stays, unless
   ``record_unchanged=False``), bumps the version (``F("version") + 1``), saves, and writes the audit row
   ``<prefix>.<action>`` with from/to — all in the same transaction — and returns the fresh object.

``allowed(flow, obj, actor)`` lists the moves an actor may make now (status, role and ``may_act``), for pages and
API answers. ``plan(flow, actor=, then=[...])`` is the intake's half: without locking or writing, it returns the
status a new object starts in (``initial``, recorded as the ``start`` action) after the automatic ``SYSTEM`` moves
named in ``then``, and the unsaved transition rows (built by the ``build`` hook), so the caller writes the object
once in its final state and the rows in one bulk insert. A ``then`` move that is not in the table, not a system
move or not possible from the status reached is a programming error (``ValueError``).

``transitions(flow)`` derives the state machine (which status may follow which) from the table, for docs and tests.
Keep the table the single source of truth: pages, the API's ``allowed_actions`` and error messages all read it.

A new stateful model (assessment reviews, tasks) needs: a ``status`` field with ``TextChoices``, a ``version``
field (``PositiveIntegerField(default=1)``), a transition model (who, when, from, to, why) and a scoped manager; a
``<app>/workflow.py`` with the table, the effects, ``record``/``build`` and a ``Workflow``; services that call
``move()`` (never ``obj.status = …``); pages and API answers that show ``allowed()``; and tests of a 409 on a stale
version and of an illegal move (see gridgov/events/tests/test_workflow_engine.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

SYSTEM = "system"  # the role of automatic steps (intake's auto-dispatch, duplicate linking): never for people


@dataclass(frozen=True)
class Move:
    """One row of a workflow's table: from which statuses, to which (None: the status stays), who may take it."""

    sources: frozenset
    target: str | None
    roles: frozenset
    label: str
    branches: frozenset = frozenset()  # other statuses the effect may choose instead of ``target``

    @property
    def automatic(self) -> bool:
        """Only the system takes it (intake's automatic steps)."""
        return set(self.roles) <= {SYSTEM}


@dataclass(frozen=True)
class Messages:
    """The user-facing refusals, each a lazy translation naming the thing (case, dispute …). Placeholders:
    not_found —; conflict %(status)s %(version)d; illegal %(status)s %(action)s %(allowed)s; role %(action)s."""

    not_found: Any
    conflict: Any
    illegal: Any
    role: Any


@dataclass(frozen=True)
class Workflow:
    model: type[models.Model]
    prefix: str  # audit actions are "<prefix>.<action>"
    moves: dict[str, Move]
    messages: Messages
    record: Callable[..., Any]  # (obj, *, action, from_status, actor, reason, data) -> the saved transition row
    # (queryset, actor) -> what the actor may see; by default the model's own scope (``Model.objects.restrict``)
    visible: Callable[[models.QuerySet, Any], models.QuerySet] = field(default=lambda qs, actor: qs.restrict(actor))
    effects: dict[str, Callable] = field(default_factory=dict)
    may_act: Callable[[Any, Any, str], None] | None = None  # raises a DomainError when the actor may not
    initial: str = ""  # the status a new object starts in (``plan``)
    start: str = "create"  # the action recorded for the creation (``plan``)
    build: Callable[..., Any] | None = None  # (*, action, from_status, to_status, actor, reason, data) -> unsaved row
    status_field: str = "status"
    version_field: str = "version"
    lock_related: tuple = ()  # select_related() of the locked row, e.g. ("category",)
    record_unchanged: bool = True  # record a transition row also when the move keeps the status


def _status(flow: Workflow, obj) -> str:
    return getattr(obj, flow.status_field)


def _status_label(flow: Workflow, obj) -> str:
    return getattr(obj, f"get_{flow.status_field}_display")()


def allowed(flow: Workflow, obj, actor) -> list[dict]:
    """The moves ``actor`` may make on ``obj`` now, in table order: ``[{"action", "label"}]``."""
    role, status, out = getattr(actor, "role", None), _status(flow, obj), []
    for name, m in flow.moves.items():
        if status not in m.sources or role not in m.roles or m.automatic:
            continue
        if flow.may_act is not None:
            try:
                flow.may_act(obj, actor, name)
            except DomainError:
                continue
        out.append({"action": name, "label": str(m.label)})
    return out


def move(flow: Workflow, *, actor, pk: int, action: str, version: int | None, reason: str = "",
         data: dict | None = None, ip: str | None = None):
    """The gatekeeper (see the module docstring for the checks, in order). Returns the moved object, re-read."""
    data = {} if data is None else data
    model = flow.model
    with transaction.atomic():
        obj = model.objects.select_for_update(of=("self",)).select_related(*flow.lock_related).filter(pk=pk).first()
        if obj is None or not flow.visible(model.objects.filter(pk=pk), actor).exists():
            raise NotFound(flow.messages.not_found)
        m = flow.moves.get(action)
        if m is None or m.automatic:  # automatic steps are not for people to take
            raise ValidationFailed(_("Unknown action %(action)s.") % {"action": action}, field="action",
                                   details=allowed(flow, obj, actor))
        current = getattr(obj, flow.version_field)
        if version is not None and version != current:
            raise Conflict(flow.messages.conflict % {"status": _status_label(flow, obj), "version": current},
                           details=[{"status": _status(flow, obj), "version": current}])
        before = _status(flow, obj)
        if before not in m.sources:
            moves = allowed(flow, obj, actor)
            raise ValidationFailed(
                flow.messages.illegal % {"status": _status_label(flow, obj), "action": m.label,
                                         "allowed": "、".join(x["label"] for x in moves) or _("nothing")},
                field="action", code="illegal_move", details=moves)
        if getattr(actor, "role", None) not in m.roles:
            raise PermissionDenied(flow.messages.role % {"action": m.label})
        if flow.may_act is not None:
            flow.may_act(obj, actor, action)
        chosen = flow.effects[action](obj, actor=actor, reason=reason, data=data) if action in flow.effects else None
        target = chosen or m.target or before
        if chosen is not None and chosen != m.target and chosen not in m.branches:
            raise ValueError(f"{flow.prefix}.{action}: the effect chose {chosen!r}, which the table does not allow")
        setattr(obj, flow.status_field, target)
        extra = data.pop("_audit", {})
        if target != before or flow.record_unchanged:
            flow.record(obj, action=action, from_status=before, actor=actor, reason=reason, data=data)
        setattr(obj, flow.version_field, F(flow.version_field) + 1)
        obj.save()
        obj.refresh_from_db()
        audit_record(actor=actor, action=f"{flow.prefix}.{action}", obj=obj, ip=ip,
                     detail={"from": before, "to": target, **extra})
    return obj


@dataclass
class Plan:
    status: str  # where the new object stands after its automatic moves
    transitions: list  # unsaved rows, creation first; the caller sets their object and bulk-creates them


def plan(flow: Workflow, *, actor, data: dict | None = None, reason: str = "",
         then: Iterable[tuple[str, dict, str]] = ()) -> Plan:
    """The first status of a new object and its automatic moves, checked against the table; no lock, no write.
    ``then`` is ``[(action, data, reason), …]``: system moves made at once (auto-dispatch, duplicate linking)."""
    status = flow.initial
    rows = [flow.build(action=flow.start, from_status="", to_status=status, actor=actor, reason=reason,
                       data=data or {})]
    for action, step_data, step_reason in then:
        m = flow.moves.get(action)
        if m is None or SYSTEM not in m.roles or status not in m.sources:
            raise ValueError(f"{flow.prefix}: {action!r} is not an automatic move from {status!r}")
        before, status = status, m.target or status
        rows.append(flow.build(action=action, from_status=before, to_status=status, actor=None, reason=step_reason,
                               data=step_data))
    return Plan(status, rows)


def transitions(flow: Workflow) -> dict[str, set[str]]:
    """The state machine derived from the table: for each status, the statuses that may follow it."""
    out: dict[str, set[str]] = {}
    for m in flow.moves.values():
        for source in m.sources:
            out.setdefault(source, set()).update({m.target or source, *m.branches})
    return out
