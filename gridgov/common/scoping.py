"""Who may see and change what: one engine for every scoped model. Deny by default; scope by the region tree.

Learn scoping from this file. Three pieces:

* **Territory** — the part of the region tree an account works in: the paths of its grids (grid workers), its org
  unit and its grids (grid leaders), its org unit (community staff, dispatchers, leaders), its department's service
  area (department handlers), or *everything* (the system and security administrators, who manage the map and the
  accounts). "Everything" is an explicit value (``Territory.everything``), never an empty list, and an account that
  is inactive, anonymous or unassigned has *nothing*. ``territory(user)`` computes it once per request (cached on the
  user object).
* **Scope** — what a model declares (``scope = Scope(...)`` on the model class, beside
  ``objects = ScopedQuerySet.as_manager()``):

  ``path``     the lookup(s) of the row's tree path (``"region_path"``, ``"grid__path"``, a tuple for several);
  ``roles``    per action (``"view"``, ``"change"``, …) the roles that see rows whose path lies in their territory;
  ``via``      the path belongs to a related account or object (``via="worker"``: the worker's grids), filtered with
               a subquery so a to-many path never duplicates rows;
  ``owner``    the lookup of the account (its pk) owning a row (a case's reporter, a dispute's registrar, a visit's
               worker) and ``owner_roles`` per action: the owner sees (or changes) their own rows wherever they are;
  ``extra``    a hook ``(user, action) -> Q | None`` for grants that are not territorial (a department sees the
               cases it was sent, a citizen their own case);
  ``hide``     a hook ``(user, action) -> Q | None`` for rows a role must not see even in its territory (a leader
               does not learn who is a key person from the visits to them).

* **restrict** — ``Model.objects.restrict(user, action)`` is the queryset of rows ``user`` may act on;
  ``access(Model, user, pk)`` is one of them or ``NotFound`` (with ``for_update=True`` it is locked).
  ``in_territory(user, path)`` answers the same question for one path (a form that names a grid).

A new scoped model declares its Scope and uses ``ScopedQuerySet``; the parametrised test
(gridgov/web/tests/test_scoping_matrix.py) walks every model that has one × every persona, and fails for a model
with a tree path that declares none. Cross-app reads go through the owning app's selectors, which call ``restrict``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.common.errors import NotFound
from gridgov.common.roles import Role

VIEW = "view"
CHANGE = "change"

# Accounts that see the whole territory: the administrators who keep the map and the accounts.
WHOLE_TERRITORY = frozenset({Role.SYS_ADMIN, Role.SEC_ADMIN})
# Accounts whose territory is the subtree of their org unit.
ORG_UNIT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER})
# Every staff role that works in the territory (the administrators keep the system, not the data).
STAFF = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER,
                   Role.DEPT_HANDLER})
NOTHING_Q = Q(pk__in=[])


def is_active(user) -> bool:
    """A logged-in, active account (a citizen acting through a private link is not one)."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


@dataclass(frozen=True)
class Territory:
    """Tree paths an account works in (each path and everything below it), or everything."""

    paths: tuple[str, ...] = ()
    everything: bool = False

    def q(self, lookup: str) -> Q:
        """The rows whose ``lookup`` path lies inside; NOTHING_Q for an empty territory."""
        if self.everything:
            return Q()
        return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in self.paths), NOTHING_Q)

    def contains(self, path: str | None) -> bool:
        return self.everything or bool(path and any(path.startswith(p) for p in self.paths))

    @property
    def empty(self) -> bool:
        return not self.everything and not self.paths


EVERYTHING = Territory(everything=True)
NOWHERE = Territory()


def territory(user) -> Territory:
    """The account's part of the region tree (cached on the user object for the request)."""
    if not is_active(user):
        return NOWHERE
    cached = user.__dict__.get("_gridgov_territory")
    if cached is None:
        cached = user.__dict__["_gridgov_territory"] = _compute_territory(user)
    return cached


def _compute_territory(user) -> Territory:
    role = getattr(user, "role", None)
    if role in WHOLE_TERRITORY:
        return EVERYTHING
    paths: set[str] = set()
    if role in (Role.GRID_WORKER, Role.GRID_LEADER):
        paths.update(user.grids.values_list("path", flat=True))
    if role in ORG_UNIT_ROLES or role == Role.GRID_LEADER:
        if user.region_id:
            paths.add(user.region.path)
    if role == Role.DEPT_HANDLER and user.department_id:
        dept = user.department
        paths.update(dept.service_area.values_list("path", flat=True))
        if not paths and dept.region_id:
            paths.add(dept.region.path)
    # A path inside another adds nothing: keep the outermost ones.
    outer = sorted(p for p in paths if p and not any(p != o and p.startswith(o) for o in paths))
    return Territory(paths=tuple(outer))


def in_territory(user, path: str | None) -> bool:
    return territory(user).contains(path)


Hook = Callable[[object, str], "Q | None"]


@dataclass(frozen=True)
class Scope:
    """What a scoped model declares; see the module docstring."""

    path: str | tuple[str, ...] | None = None
    roles: dict[str, Iterable[str]] = field(default_factory=dict)
    via: str | None = None
    owner: str | None = None
    owner_roles: dict[str, Iterable[str]] = field(default_factory=dict)
    extra: Hook | None = None
    hide: Hook | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        if self.path is None:
            return ()
        return (self.path,) if isinstance(self.path, str) else tuple(self.path)


def _territorial_q(model, spec: Scope, where: Territory) -> Q:
    if where.everything:
        return Q()
    inner = reduce(or_, (where.q(p) for p in spec.paths), NOTHING_Q)
    if spec.via:
        related = model._meta.get_field(spec.via).related_model
        return Q(**{f"{spec.via}__in": related._base_manager.filter(inner).values("pk")})
    if any("__" in p and _is_many(model, p) for p in spec.paths):
        return Q(pk__in=model._base_manager.filter(inner).values("pk"))
    return inner


def _is_many(model, lookup: str) -> bool:
    """Whether a lookup crosses a to-many relation (and so could repeat rows)."""
    for name in lookup.split("__")[:-1]:
        f = model._meta.get_field(name)
        if f.many_to_many or f.one_to_many:
            return True
        model = f.related_model
    return False


def scope_q(model, user, action: str = VIEW, spec: Scope | None = None) -> Q | None:
    """The condition on ``model``'s rows that ``user`` may take ``action`` on; ``None`` means every row.
    ``spec`` applies another declared Scope than the model's own (e.g. "the accounts whose patrols I see")."""
    spec = spec or model.scope
    role = getattr(user, "role", None) if is_active(user) else None
    hidden = spec.hide(user, action) if spec.hide is not None else None
    if role is not None and role in set(spec.roles.get(action, ())) and spec.paths:
        where = territory(user)
        if where.everything:  # explicit: every row (an empty Q would vanish inside an OR, so decide here)
            return None if hidden is None else ~hidden
        grants = [_territorial_q(model, spec, where)]
    else:
        grants = []
    if role is not None and spec.owner and role in set(spec.owner_roles.get(action, ())):
        grants.append(Q(**{spec.owner: user.pk}))
    if spec.extra is not None and (granted := spec.extra(user, action)) is not None:
        grants.append(granted)
    condition = reduce(or_, grants, NOTHING_Q)
    return condition if hidden is None else condition & ~hidden


def restrict(qs: QuerySet, user, action: str = VIEW, *, scope: Scope | None = None) -> QuerySet:
    condition = scope_q(qs.model, user, action, scope)
    return qs if condition is None else qs.filter(condition)


def access(qs_or_model, user, pk, *, action: str = VIEW, for_update: bool = False, message=None):
    """One row the user may act on, or NotFound (the same answer whether it does not exist or is out of scope)."""
    qs = qs_or_model if isinstance(qs_or_model, QuerySet) else qs_or_model._default_manager.all()
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    row = None
    if pk is not None and 0 < pk < 2**63:
        if for_update:
            # Lock the row itself, then check scope on a plain query (PostgreSQL cannot lock an outer join's side).
            row = qs.model._base_manager.select_for_update(of=("self",)).filter(pk=pk).first()
            if row is not None and not restrict(qs.filter(pk=pk), user, action).exists():
                row = None
        else:
            row = restrict(qs, user, action).filter(pk=pk).first()
    if row is None:
        raise NotFound(message or _("No such record, or it is outside your area."))
    return row


class ScopedQuerySet(QuerySet):
    """The queryset base of every scoped model: ``Model.objects.restrict(user, action)``."""

    def restrict(self, user, action: str = VIEW, *, scope: Scope | None = None) -> QuerySet:
        return restrict(self, user, action, scope=scope)


def ancestor_paths(paths) -> list[str]:
    """Every path above (and including) the given ones: ``/a/b/`` → ``/a/``, ``/a/b/``."""
    result = set()
    for path in paths:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            result.add("/" + "/".join(parts[:i]) + "/")
    return sorted(result)


def below(lookup: str, path: str) -> Q:
    """Rows whose ``lookup`` path lies in the subtree at ``path`` (a drill-down filter, not a grant)."""
    return Territory(paths=(path,)).q(lookup)


def may(user, model, action: str = VIEW) -> bool:
    """Whether the user's role takes ``action`` on ``model`` by region at all (before looking at any row)."""
    return is_active(user) and getattr(user, "role", None) in set(model.scope.roles.get(action, ()))
