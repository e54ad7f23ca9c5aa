"""Every scoped model × every persona (NetBox style): ``Model.objects.restrict(user, action)`` returns exactly the rows
an independent oracle says the persona may see — no more (no leak), no fewer (nothing silently missing).

The oracle does not use the engine's tree paths: a row is placed by the *codes* of its regions (region codes nest, so
"inside X" is "code starts with X's code"), a persona's territory is named from the demo's territory alone
(permission_matrix.py), and the grants are restated here as a table (``RULES``). A model that declares a Scope but has
no rule here, or that has a tree path (or belongs to a scoped model) but declares no Scope and is not listed as
reached through its parent, fails the coverage tests: a new model is covered the day it is added.
"""

import pytest
from django.apps import apps

from gridgov.accounts.tests.permission_matrix import PERSONAS, resolve_territory
from gridgov.common.scoping import Scope

pytestmark = pytest.mark.django_db

# persona → the symbolic roots of their territory ("*" everything, () nothing)
ROOTS = {
    "sysadmin": "*", "secadmin": "*", "auditadmin": (),
    "leader": ("DISTRICT",), "dispatcher": ("DISTRICT",), "hotline": ("DISTRICT",),
    "street_dispatcher": ("STREET_1",), "police": ("STREET_1",), "community": ("COMMUNITY_1",),
    "gridleader": ("GRID_A",), "worker_a": ("GRID_A",), "worker_b": ("GRID_B",),
}
CASE_TEAM = {"leader", "dispatcher", "street_dispatcher", "community", "gridleader", "worker_a", "worker_b"}
SUPERVISORS = {"leader", "dispatcher", "street_dispatcher", "community", "gridleader"}
DEPARTMENTS = {"police", "hotline"}
STAFF = CASE_TEAM | DEPARTMENTS
EVERYONE_WHO_WORKS = STAFF | {"sysadmin", "secadmin"}
REGISTRY_READERS = CASE_TEAM
REGISTRY_WRITERS = {"community", "gridleader", "worker_a", "worker_b"}
VISIT_READERS = CASE_TEAM
KEY_TAG_READERS = REGISTRY_READERS - {"leader"}
DISPUTE_READERS = CASE_TEAM


def _codes(paths):
    """The region codes along stored tree paths ("/4403/440306/…/" → every code): the row's place."""
    return {p.strip("/").split("/")[-1] for p in paths if p}


# model label → (who sees by territory per action, owner lookup and who owns, extra grants, hidden rows)
RULES = {
    "regions.Region": dict(roles={"view": EVERYONE_WHO_WORKS, "change": {"sysadmin"}}),
    "regions.LayerGrid": dict(roles={"view": EVERYONE_WHO_WORKS, "change": {"sysadmin"}}),
    "accounts.User": dict(roles={"view": EVERYONE_WHO_WORKS}, extra="self"),
    "accounts.Department": dict(roles={"view": (STAFF - DEPARTMENTS) | {"sysadmin", "secadmin"}},
                                extra="own_department_or_above"),
    "events.Event": dict(roles={"view": CASE_TEAM}, owner=("reporter_id", CASE_TEAM), extra="sent_to_department"),
    "registry.House": dict(roles={"view": REGISTRY_READERS, "change": REGISTRY_WRITERS}),
    "registry.Household": dict(roles={"view": REGISTRY_READERS, "change": REGISTRY_WRITERS}),
    "registry.Person": dict(roles={"view": REGISTRY_READERS, "change": REGISTRY_WRITERS}),
    "registry.Unit": dict(roles={"view": REGISTRY_READERS, "change": REGISTRY_WRITERS}),
    "registry.Organisation": dict(roles={"view": REGISTRY_READERS, "change": REGISTRY_WRITERS}),
    "fieldwork.PatrolSession": dict(roles={"view": SUPERVISORS}, owner=("worker_id", SUPERVISORS | {"worker_a",
                                                                                                    "worker_b"})),
    "fieldwork.GpsPoint": dict(roles={"view": SUPERVISORS}, owner=("worker_id", SUPERVISORS | {"worker_a",
                                                                                               "worker_b"})),
    "fieldwork.PatrolDay": dict(roles={"view": SUPERVISORS}, owner=("worker_id", SUPERVISORS | {"worker_a",
                                                                                               "worker_b"})),
    "fieldwork.Anomaly": dict(roles={"view": SUPERVISORS, "change": {"community", "dispatcher",
                                                                     "street_dispatcher"}}),
    "visits.Visit": dict(roles={"view": VISIT_READERS}, owner=("worker_id", VISIT_READERS), hide="key_persons"),
    "disputes.Dispute": dict(roles={"view": DISPUTE_READERS}, owner=("registered_by_id", DISPUTE_READERS)),
}

# Models with a place in the tree (or belonging to a scoped model) that are reached only through their parent's
# access check, or are master data without personal or case content.
THROUGH_PARENT = {
    "regions.RegionVersion": "a region's history, read through access to the region",
    "regions.LayerGridMember": "a layer grid's members, read with the layer grid",
    "regions.Layer": "master data (the list of layers), no place of its own",
    "events.Route": "master data (routing rules), edited by the system administrator in the admin",
    "events.Assignment": "read with its case", "events.Transition": "read with its case",
    "events.Photo": "served only after the case is checked (events/views.py photo_file)",
    "events.HotlineOrder": "read with its case",
    "registry.PersonTag": "read with its person, filtered by who may see key tags",
    "visits.VisitPhoto": "served only after the visit is checked (visits/views.py photo_file)",
    "disputes.DisputeParty": "read with its dispute", "disputes.MediationStep": "read with its dispute",
    "disputes.DisputeTransition": "read with its dispute",
}
TREE_FIELDS = {"region_path", "path", "grid", "region", "grids", "event", "dispute", "visit", "person", "worker"}


def scoped_models():
    return [m for m in apps.get_models() if isinstance(getattr(m, "scope", None), Scope)]


def test_every_scoped_model_has_a_rule_in_the_oracle():
    assert {m._meta.label for m in scoped_models()} == set(RULES)


def test_every_model_with_a_place_in_the_tree_is_scoped_or_reached_through_its_parent():
    unscoped = []
    for model in apps.get_models():
        label = model._meta.label
        if label in RULES or label in THROUGH_PARENT or model._meta.app_label not in {
                "regions", "accounts", "events", "registry", "fieldwork", "visits", "disputes"}:
            continue
        names = {f.name for f in model._meta.get_fields() if not f.auto_created or f.concrete}
        if names & TREE_FIELDS:
            unscoped.append(label)
    assert not unscoped, f"declare a Scope (gridgov/common/scoping.py) or say why it is reached through a parent: " \
                         f"{unscoped}"


# --- the oracle ---------------------------------------------------------------------------------------------------
def _codes_by_pk(model, *lookups) -> dict[int, set[str]]:
    """Row id → the region codes found through each lookup (to-many lookups give several)."""
    out: dict[int, set[str]] = {pk: set() for pk in model.objects.values_list("pk", flat=True)}
    for lookup in lookups:
        for pk, code in model.objects.values_list("pk", lookup):
            if code:
                out[pk].add(code)
    return out


def _place(model) -> dict[int, set[str]]:
    """Row id → the region codes that place it (codes of its grid / region / path / worker's grids …)."""
    from gridgov.accounts.models import User

    label = model._meta.label
    if label == "regions.Region":
        return _codes_by_pk(model, "code")
    if label == "regions.LayerGrid":
        return _codes_by_pk(model, "region__code", "memberships__region__code")
    if label == "accounts.User":
        return _codes_by_pk(model, "region__code", "grids__code")
    if label == "accounts.Department":
        return _codes_by_pk(model, "service_area__code", "region__code")
    if label in ("fieldwork.PatrolSession", "fieldwork.GpsPoint", "fieldwork.PatrolDay"):
        grids = _codes_by_pk(User, "grids__code")
        return {pk: grids.get(w, set()) for pk, w in model.objects.values_list("pk", "worker_id")}
    if label == "fieldwork.Anomaly":
        return {pk: _codes([path]) for pk, path in model.objects.values_list("pk", "region_path")}
    return _codes_by_pk(model, "grid__code")


def _inside(codes: set[str], roots) -> bool:
    return roots == "*" or any(c.startswith(r) for c in codes for r in roots)


def _extra(label: str, kind: str, persona, user, territory, roots) -> set[int]:
    from gridgov.accounts.models import Department
    from gridgov.events.models import Assignment

    if kind == "self":
        return {user.pk} if persona in STAFF else set()
    if kind == "sent_to_department":
        if persona not in DEPARTMENTS:
            return set()
        return set(Assignment.objects.filter(department_id=user.department_id).values_list("event_id", flat=True))
    if kind == "own_department_or_above":
        if persona in DEPARTMENTS:
            return {user.department_id}
        if persona not in STAFF or roots == "*":
            return set()
        root_codes = [territory.code(r) for r in roots]
        return {pk for pk, code in Department.objects.values_list("pk", "region__code")
                if any(rc.startswith(code) for rc in root_codes)}
    raise AssertionError(f"no oracle for the grant {kind}")


def _hidden(kind: str | None, persona) -> set[int]:
    if kind is None or persona in KEY_TAG_READERS:
        return set()
    from gridgov.registry.models import PersonTag
    from gridgov.visits.models import Visit

    key_people = set(PersonTag.objects.filter(tag__group="key").values_list("person_id", flat=True))
    return {pk for pk, purpose, person in Visit.objects.values_list("pk", "purpose", "person_id")
            if purpose == "key_person" or person in key_people}


def expected(model, persona: str, action: str) -> set[int]:
    from gridgov.accounts.models import User

    label = model._meta.label
    rule = RULES[label]
    user = User.objects.get(username=persona)
    territory = resolve_territory()
    roots = ROOTS[persona]
    codes_roots = roots if roots == "*" else tuple(territory.code(r) for r in roots)
    if persona in ("gridleader",):  # a grid leader's territory: their grids and their org unit (here both grid A)
        codes_roots = tuple({*codes_roots, *(g.code for g in user.grids.all()), user.region.code})
    if persona in ("worker_a", "worker_b"):
        codes_roots = tuple(g.code for g in user.grids.all())
    rows = set()
    if persona in rule["roles"].get(action, set()):
        rows |= {pk for pk, codes in _place(model).items() if _inside(codes, codes_roots)}
    owner = rule.get("owner")
    if owner and action == "view" and persona in owner[1]:
        rows |= set(model.objects.filter(**{owner[0]: user.pk}).values_list("pk", flat=True))
    if rule.get("extra") and action == "view":
        rows |= _extra(label, rule["extra"], persona, user, territory, roots)
    return rows - _hidden(rule.get("hide"), persona)


CASES = [(label, persona, action) for label, rule in RULES.items() for persona in PERSONAS
         for action in rule["roles"]]


@pytest.mark.parametrize("label, persona, action", CASES)
def test_restrict_returns_exactly_what_the_oracle_allows(label, persona, action):
    from gridgov.accounts.models import User

    model = apps.get_model(label)
    user = User.objects.get(username=persona)
    got = set(model.objects.restrict(user, action).values_list("pk", flat=True))
    want = expected(model, persona, action)
    assert got == want, (f"{label} {action} for {persona}: {len(got - want)} rows too many "
                         f"(e.g. {sorted(got - want)[:5]}), {len(want - got)} missing (e.g. {sorted(want - got)[:5]})")


@pytest.mark.parametrize("label", sorted(RULES))
def test_nobody_without_an_active_account_sees_anything(label):
    from django.contrib.auth.models import AnonymousUser

    from gridgov.accounts.models import User

    model = apps.get_model(label)
    assert not model.objects.restrict(AnonymousUser()).exists()
    assert not model.objects.restrict(None).exists()
    inactive = User.objects.get(username="dispatcher")
    inactive.is_active = False
    assert not model.objects.restrict(inactive).exists()
    assert not model.objects.restrict(User.objects.get(username="worker_a"), "no-such-action").exists()


def test_the_matrix_is_not_vacuous():
    """Each persona that works sees something and misses something somewhere, so the equalities above bite."""
    from gridgov.accounts.models import User

    for persona in sorted(STAFF):
        user = User.objects.get(username=persona)
        seen = {label: apps.get_model(label).objects.restrict(user).count() for label in RULES}
        total = {label: apps.get_model(label).objects.count() for label in RULES}
        assert any(seen.values()), persona
        assert any(seen[label] < total[label] for label in RULES), persona
