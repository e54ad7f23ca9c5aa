"""Who may see, change and reveal registry data. Deny by default; every query is scoped by the region tree.

| role | people, houses, units | change | key-person tags | reveal ID number / phone |
|---|---|---|---|---|
| grid worker | own grids | yes | yes | yes (own grids) |
| grid leader | own grid(s) | yes | yes | yes |
| community / village staff | their community | yes | yes | yes |
| dispatcher (street / district) | their street / district | no | yes | yes |
| leader | their region, masked | no | no | no |
| department handler, the three administrators | nothing | no | no | no |

Why: the people who visit, check and help key persons are the grid team, the community and the command centre
(which dispatches to them); a leader reads figures and coverage, not who is on a watch list; department handlers
receive cases, not the population register (a police station keeps its own key-person records); the three
administrators keep the system, not the data (the system administrator edits the tag list in the admin).
"""

from gridgov.common.roles import Role
from gridgov.common.scoping import Scope, in_territory

READ_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER}
WRITE_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF}
KEY_TAG_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER}
REVEAL_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER}
REVEAL_FIELDS = ("id_number", "phone")
REVEAL_REASON_MIN = 4  # characters: "核实身份" is the shortest honest reason
REVEAL_REASON_DISTINCT = 3  # different letters or characters: "aaaa" or "1111" says nothing
REVEAL_REASON_MAX = 200


def _role(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "role", None)


def can_read(user) -> bool:
    return _role(user) in READ_ROLES


def can_write(user) -> bool:
    return _role(user) in WRITE_ROLES


def can_see_key_tags(user) -> bool:
    return _role(user) in KEY_TAG_ROLES


def can_reveal(user) -> bool:
    return _role(user) in REVEAL_ROLES


# Every registry record (house, household, person, unit, organisation) is placed in a grid: readers see the records
# whose grid lies in their part of the tree (``Model.objects.restrict(user)``), writers change them there.
RECORD_SCOPE = Scope(path="grid__path", roles={"view": READ_ROLES, "change": WRITE_ROLES})


def grid_in_scope(user, region) -> bool:
    return can_read(user) and in_territory(user, region.path)
