"""Shared pieces of the permission test matrix (NetBox style: with / without / out of scope).

The demo district (conftest.py) is named here the way the demo builder picks it, from the territory alone and
never from the accounts, so the expected scopes below are an independent oracle:

    DISTRICT      the district                       (dispatcher, leader, sysadmin, secadmin, hotline)
    STREET_1      the first street by code           (street_dispatcher; police: its 派出所 serves it)
    STREET_2      the second street
    COMMUNITY_1   the first community of STREET_1    (community)
    COMMUNITY_2   the second community of STREET_1
    GRID_A        the first active grid by code      (worker_a, gridleader)
    MICRO_A       the first micro-grid of GRID_A
    GRID_B        the first active grid in another community than GRID_A (worker_b)
    STREET_2_GRID the first active grid of STREET_2
    RETIRED_GRID  the first retired grid (left by the demo's split and merge, inside COMMUNITY_1)
    RESERVED_GRID the first reserved grid (inside COMMUNITY_2)

Region codes nest (a child's code starts with its parent's code), so "inside X" is "code starts with X's code":
an oracle that does not use the tree paths the application filters on.
"""

import pytest
from django.test import Client

PERSONAS = ["sysadmin", "secadmin", "auditadmin", "leader", "dispatcher", "street_dispatcher", "community",
            "gridleader", "worker_a", "worker_b", "police", "hotline"]
ADMINS = ["sysadmin", "secadmin", "auditadmin"]
NON_ADMINS = [p for p in PERSONAS if p not in ADMINS]


class Territory(dict):
    """Symbolic name → Region of the demo district."""

    def code(self, name: str) -> str:
        return self[name].code

    def id(self, name: str) -> int:
        return self[name].pk


def resolve_territory() -> Territory:
    from gridgov.regions.models import Region

    regions = list(Region.objects.order_by("code"))
    district = next(r for r in regions if r.level == "district")
    streets = [r for r in regions if r.level == "street"]
    communities_1 = [r for r in regions if r.level == "community" and r.parent_id == streets[0].pk]
    active_grids = [r for r in regions if r.level == "grid" and r.status == "active"]
    grid_a = active_grids[0]
    t = Territory(
        DISTRICT=district,
        STREET_1=streets[0],
        STREET_2=streets[1],
        COMMUNITY_1=communities_1[0],
        COMMUNITY_2=communities_1[1],
        GRID_A=grid_a,
        MICRO_A=next(r for r in regions if r.level == "micro" and r.parent_id == grid_a.pk),
        GRID_B=next(g for g in active_grids if g.parent_id != grid_a.parent_id),
        STREET_2_GRID=next(g for g in active_grids if g.code.startswith(streets[1].code)),
        RETIRED_GRID=next(r for r in regions if r.level == "grid" and r.status == "retired"),
        RESERVED_GRID=next(r for r in regions if r.level == "grid" and r.status == "reserved"),
    )
    return t


@pytest.fixture
def territory(db) -> Territory:
    return resolve_territory()


@pytest.fixture
def client_for(db):
    """client_for("worker_a") → a test client with that persona's session; "anonymous" → no session.

    Uses force_login (no password hashing) to keep the matrix fast; conftest's as_user and the login tests in
    test_login_audit.py cover the real password login.
    """
    from gridgov.accounts.models import User

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(User.objects.get(username=persona))
        return client

    return make


def inside(code: str, root_code: str | None) -> bool:
    """The oracle for "in scope": None = nothing is."""
    return root_code is not None and code.startswith(root_code)


def get_all(client: Client, url: str) -> list[dict]:
    """Every item of a paginated list endpoint (follows ?page=N until `count` items are in hand)."""
    items, page = [], 1
    while True:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}page={page}")
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body = response.json()
        items.extend(body["items"])
        if len(items) >= body["count"] or not body["items"]:
            assert len(items) == body["count"]
            return items
        page += 1


def db_snapshot() -> dict:
    """What a refused write must leave untouched."""
    from gridgov.common.models import AuditLog
    from gridgov.regions.models import (
        GridChange,
        Layer,
        LayerGrid,
        LayerGridMember,
        Region,
        RegionVersion,
    )

    return {
        "regions": Region.objects.count(),
        "region states": sorted(Region.objects.values_list("code", "name", "status", "households")),
        "versions": RegionVersion.objects.count(),
        "changes": GridChange.objects.count(),
        "layers": Layer.objects.count(),
        "layer grids": LayerGrid.objects.count(),
        "layer members": LayerGridMember.objects.count(),
        "audit rows": AuditLog.objects.count(),
    }
