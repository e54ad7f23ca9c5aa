"""The case workflow as data (django-oscar's pipeline): every action, the states it starts from, where it leads
and who may take it. ``services.event_transition`` is the only code that changes a case's status.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gridgov.common.roles import Role
from gridgov.events.choices import Status as S

SYSTEM = "system"  # automatic steps at intake (auto-dispatch, duplicate linking)
CITIZEN = "citizen"  # a citizen acting on their own case through its private link
DISPATCHING = frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF})  # 小事不出村: villages dispatch their own
HANDLING = frozenset({Role.DEPT_HANDLER})
VERIFYING = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER})
OPEN = frozenset({S.REPORTED, S.ACCEPTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.RETURNED})


@dataclass(frozen=True)
class Move:
    sources: frozenset
    target: str | None  # None: the status stays (supervision, extension, escalation)
    roles: frozenset
    label: str


ACTIONS: dict[str, Move] = {
    "accept": Move(frozenset({S.REPORTED}), S.ACCEPTED, DISPATCHING, _("accept")),
    "reject": Move(frozenset({S.REPORTED}), S.REJECTED, DISPATCHING | {SYSTEM}, _("do not accept")),
    "register": Move(frozenset({S.ACCEPTED}), S.REGISTERED, DISPATCHING, _("register")),
    "dispatch": Move(frozenset({S.REGISTERED, S.RETURNED}), S.DISPATCHED, DISPATCHING, _("dispatch")),
    "auto_dispatch": Move(frozenset({S.REPORTED}), S.DISPATCHED, frozenset({SYSTEM}), _("dispatch automatically")),
    "self_resolve": Move(frozenset({S.REPORTED}), S.CLOSED, frozenset({SYSTEM}), _("solved on the spot")),
    "sign": Move(frozenset({S.DISPATCHED}), S.HANDLING, HANDLING, _("sign for")),
    "return": Move(frozenset({S.DISPATCHED, S.HANDLING}), S.RETURNED, HANDLING, _("return as misrouted")),
    "feedback": Move(frozenset({S.DISPATCHED, S.HANDLING}), S.HANDLED, HANDLING, _("report the result")),
    "verify": Move(frozenset({S.HANDLED}), S.CLOSED, VERIFYING, _("verify and close")),
    "rework": Move(frozenset({S.HANDLED}), S.HANDLING, VERIFYING, _("send back for rework")),
    "rate": Move(frozenset({S.CLOSED}), S.RATED, DISPATCHING | {Role.GRID_WORKER, CITIZEN},
                 _("record satisfaction")),
    "archive": Move(frozenset({S.CLOSED, S.RATED}), S.ARCHIVED, DISPATCHING, _("archive")),
    "cancel": Move(OPEN, S.CANCELLED, DISPATCHING, _("cancel")),
    "request_extension": Move(frozenset({S.DISPATCHED, S.HANDLING}), None, HANDLING, _("request an extension")),
    "approve_extension": Move(frozenset({S.DISPATCHED, S.HANDLING}), None, DISPATCHING, _("approve the extension")),
    "supervise": Move(frozenset({S.DISPATCHED, S.HANDLING, S.RETURNED}), None,
                      DISPATCHING | {Role.LEADER}, _("supervise")),
    "escalate": Move(frozenset({S.REPORTED, S.ACCEPTED, S.REGISTERED, S.RETURNED}), None, DISPATCHING,
                     _("escalate to the level above")),
}

# The state machine, derived: which statuses each status may move to.
TRANSITIONS: dict[str, set[str]] = {}
for _move in ACTIONS.values():
    for _source in _move.sources:
        TRANSITIONS.setdefault(_source, set()).add(_move.target or _source)


def allowed_actions(status: str, role: str | None = None) -> list[str]:
    """Actions possible from a status (for a role, when given), in table order."""
    return [name for name, move in ACTIONS.items()
            if status in move.sources and (role is None or role in move.roles)]
