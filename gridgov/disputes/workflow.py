"""The dispute workflow as data: every action, the statuses it starts from, where it leads and who may take it.
``services.dispute_transition`` is the only code that changes a dispute's status.

    registered ─step→ mediating ─settle→ settled ─follow_up→ closed
        │                 │  └─fail→ failed ─follow_up→ closed
        └─settle/fail─────┘            │ └─step→ mediating (try again)
    registered / mediating / failed ─escalate→ escalated (an event takes over: 矛盾不上交 failed at grid level)
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gridgov.common.roles import Role
from gridgov.disputes.choices import DisputeStatus as S

# Who registers and mediates disputes: the grid team, the community and the command centre.
MEDIATORS = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER})
# Who reads disputes and their statistics (a leader reads, never acts).
READERS = MEDIATORS | {Role.LEADER}


@dataclass(frozen=True)
class Move:
    sources: frozenset
    target: str
    roles: frozenset
    label: str


ACTIONS: dict[str, Move] = {
    "step": Move(frozenset({S.REGISTERED, S.MEDIATING, S.FAILED}), S.MEDIATING, MEDIATORS,
                 _("record a mediation step")),
    "settle": Move(frozenset({S.REGISTERED, S.MEDIATING}), S.SETTLED, MEDIATORS, _("settle with an agreement")),
    "fail": Move(frozenset({S.REGISTERED, S.MEDIATING}), S.FAILED, MEDIATORS, _("record that mediation failed")),
    "escalate": Move(frozenset({S.REGISTERED, S.MEDIATING, S.FAILED}), S.ESCALATED, MEDIATORS,
                     _("escalate as an event")),
    "follow_up": Move(frozenset({S.SETTLED, S.FAILED}), S.CLOSED, MEDIATORS, _("follow up and close")),
}


def allowed_actions(status: str, role: str | None) -> list[str]:
    return [name for name, move in ACTIONS.items() if status in move.sources and role in move.roles]
