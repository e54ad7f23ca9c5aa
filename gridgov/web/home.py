"""Everyone's home page shows their own work: a grid worker their open reports, the cases to verify, the visits
that are late and today's patrol; a department its inbox; a dispatcher their queues; a leader the key figures of
their territory; an administrator what they keep.

Every figure is read through the owning app's selectors, scoped to the user (``restrict``), and counted with the
very condition of the list it links to (``events.selectors.queue_counts`` counts the workbench's queues,
``visits.selectors.overdue_count`` the overdue-visit page, ``fieldwork.selectors.anomaly_list`` the anomaly list),
so a tile saying 3 opens a list of 3. The page costs a fixed number of queries whatever the amount of data: one
aggregate for all the case queues, a handful for visits and the patrol (gridgov/web/tests/test_home.py pins it).
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.common.roles import ADMIN_ROLES, Role
from gridgov.events import selectors as events
from gridgov.fieldwork import selectors as patrols
from gridgov.fieldwork.choices import AnomalyStatus
from gridgov.fieldwork.models import ANOMALY_REVIEW_ROLES, ANOMALY_VIEW_ROLES, PATROL_ROLES
from gridgov.visits import selectors as visits
from gridgov.visits.models import VISITOR_ROLES


@dataclass
class Tile:
    """One figure and the list it counts. ``key`` names it for tests and scripts (``data-tile``)."""

    key: str
    label: str
    count: int | None
    url: str
    tone: str = ""  # "alarm" (overdue, a red figure when not zero), "warn" (about to expire), "" otherwise
    hint: str = ""


@dataclass
class Section:
    title: str
    tiles: list[Tile] = field(default_factory=list)


# The case queues on each role's home, grouped: what to act on first, then what to watch.
CASE_SECTIONS = {
    Role.GRID_WORKER: [(_("My cases"), ["mine_open", "to_verify"])],
    Role.GRID_LEADER: [(_("My cases"), ["mine_open", "to_verify"]),
                       (_("Cases in my grids"), ["overdue", "open"])],
    Role.COMMUNITY_STAFF: [(_("To act on"), ["to_accept", "to_dispatch", "returned", "escalated",
                                             "extension_requested", "to_verify", "unsatisfied"]),
                           (_("Cases in our area"), ["expiring", "overdue", "open"])],
    Role.DISPATCHER: [(_("To act on"), ["to_accept", "to_dispatch", "returned", "escalated", "extension_requested",
                                        "unsatisfied", "to_rate"]),
                      (_("Deadlines"), ["expiring", "overdue", "supervised", "open"])],
    Role.DEPT_HANDLER: [(_("Our inbox"), ["to_sign", "handling", "returned", "extension_requested"]),
                        (_("Deadlines"), ["expiring", "overdue", "supervised"])],
    Role.LEADER: [(_("Cases in the territory"), ["open", "expiring", "overdue", "supervised"])],
}
TONES = {"overdue": "alarm", "expiring": "warn"}
HINTS = {
    "to_accept": _("new reports: accept or refuse"),
    "to_dispatch": _("accepted: choose the department"),
    "to_rate": _("closed: ask about satisfaction"),
    "to_sign": _("dispatched to us: sign for it"),
    "handling": _("signed for: report the result"),
    "supervised": _("the leadership follows them"),
    "open": _("every case not closed yet"),
    "mine_open": _("reported by me, not closed yet"),
    "to_verify": _("handled: check on site and close"),
    "returned": _("sent back by a department: dispatch again"),
    "escalated": _("handed up to our level"),
    "extension_requested": _("a department asks for more time"),
    "unsatisfied": _("rated unsatisfied: reopen or close"),
}
DEPARTMENT_HINTS = {"returned": _("returned by us, waiting for a dispatcher"),
                    "extension_requested": _("asked for by us, not approved yet")}


def home_sections(user) -> dict:
    """What the user's home shows: ``sections`` of tiles, ``patrol`` (today's, for those who patrol),
    ``actions`` (buttons to start their usual work) and, for those who keep the map, ``territory``."""
    role = user.role
    sections: list[Section] = []
    if role in CASE_SECTIONS:
        counts = events.queue_counts(user=user)
        for title, names in CASE_SECTIONS[role]:
            sections.append(Section(title, [_case_tile(user, name, counts.get(name, 0)) for name in names]))
    field_tiles = []
    if role in VISITOR_ROLES or role == Role.GRID_WORKER:
        due = visits.overdue_count(user=user)
        label = _("My overdue visits") if role == Role.GRID_WORKER else _("Overdue visits in my area")
        field_tiles.append(Tile("visits_overdue", label, due, reverse("visits:overdue"), "alarm",
                                _("households and people late for a visit")))
    if role in ANOMALY_VIEW_ROLES:
        open_anomalies = patrols.anomaly_list(user=user, status=AnomalyStatus.OPEN).count()
        label = _("Patrol anomalies to review") if role in ANOMALY_REVIEW_ROLES else _("Open patrol anomalies")
        field_tiles.append(Tile("anomalies_open", label, open_anomalies,
                                reverse("fieldwork:anomalies"), "", _("found in tracks and work records")))
    if field_tiles:
        sections.append(Section(_("Field work"), field_tiles))
    context = {"sections": sections, "patrol": None, "actions": _actions(role), "territory": None}
    if role in PATROL_ROLES:
        patrol = context["patrol"] = patrols.today_patrol(user=user)
        if patrol["summary"] is not None:
            patrol["km"] = round(patrol["summary"].distance_m / 1000, 1)
            patrol["minutes"] = patrol["summary"].moving_seconds // 60
    if role == Role.LEADER or role in (Role.SYS_ADMIN, Role.SEC_ADMIN):
        context["territory"] = _territory(user)
    if role in (Role.SEC_ADMIN, Role.AUDIT_ADMIN):
        sections.append(_admin_section(user))
    return context


def _case_tile(user, name: str, count: int) -> Tile:
    hint = (DEPARTMENT_HINTS if user.role == Role.DEPT_HANDLER else {}).get(name) or HINTS.get(name, "")
    return Tile(name, events.queue_label(name, user), count, f"{reverse('events:list')}?queue={name}",
                TONES.get(name, ""), hint)


def _actions(role: str) -> list[tuple[str, str]]:
    from gridgov.events.api import REPORTING_ROLES

    out = []
    if role in REPORTING_ROLES:
        out.append((reverse("events:report"), _("Report a case")))
    if role in VISITOR_ROLES:
        out.append((reverse("visits:new"), _("Record a visit")))
    if role in ADMIN_ROLES:
        out.append((reverse("admin:index"), _("Administration")))
    else:
        out.append((reverse("web:map"), _("Open the map")))
    return out


def _territory(user) -> dict:
    """The key figures of the territory: regions of each level (each linking to its list) and grid workers."""
    from gridgov.accounts.selectors import grid_worker_count
    from gridgov.regions import selectors as regions
    from gridgov.regions.choices import Level

    counts = regions.level_counts(user=user)
    tiles = [Tile(f"level_{lv}", Level(lv).label, counts.get(lv, 0), f"{reverse('web:regions')}?level={lv}")
             for lv in Level.values]
    tiles.append(Tile("grid_workers", _("grid workers"), grid_worker_count(user=user), ""))
    root = regions.region_list(user=user).order_by("depth", "code").first()
    return {"root": root, "tiles": tiles}


def _admin_section(user) -> Section:
    """What the security and audit administrators keep: accounts, and the audit trail of the day."""
    from gridgov.accounts.selectors import active_account_count
    from gridgov.common.audit import audit_count_on

    if user.role == Role.SEC_ADMIN:
        accounts = reverse("admin:accounts_user_changelist")
        return Section(_("Accounts"), [
            Tile("accounts_active", _("Active accounts"), active_account_count(active=True),
                 f"{accounts}?is_active__exact=1"),
            Tile("accounts_disabled", _("Disabled accounts"), active_account_count(active=False),
                 f"{accounts}?is_active__exact=0", "", _("they cannot log in")),
        ])
    today = timezone.localdate()
    day = (f"{reverse('admin:common_auditlog_changelist')}"
           f"?at__day={today.day}&at__month={today.month}&at__year={today.year}")
    return Section(_("Audit trail"), [
        Tile("audit_today", _("Audit entries today"), audit_count_on(today), day),
        Tile("audit_denied_today", _("Denied today"), audit_count_on(today, outcome="denied"),
             f"{day}&outcome__exact=denied", "alarm", _("access refused")),
        Tile("audit_failed_today", _("Failed today"), audit_count_on(today, outcome="failed"),
             f"{day}&outcome__exact=failed", "alarm", _("e.g. wrong passwords")),
    ])
