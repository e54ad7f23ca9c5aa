"""Permission matrix of the accounts API: /api/v1/users, /api/v1/me, /api/v1/departments.

Accounts are visible inside the persona's scope only, always with masked phone numbers; departments are visible
where they serve the persona's territory. Symbolic region names (GRID_A, STREET_1, …) are explained in
permission_matrix.py.
"""

import re

import pytest

from gridgov.accounts.tests.permission_matrix import (  # noqa: F401  (fixtures)
    PERSONAS,
    client_for,
    get_all,
    inside,
    territory,
)

MASKED_MOBILE = re.compile(r"1\d{2}\*{4}\d{4}")


def _real_phones() -> set[str]:
    from gridgov.accounts.models import User

    phones = set(User.objects.exclude(phone="").values_list("phone", flat=True))
    assert phones and all(re.fullmatch(r"1\d{10}", p) for p in phones)  # the demo gives everyone a mobile
    return phones


def assert_no_phone_disclosed(response):
    text = response.content.decode()
    leaked = [p for p in _real_phones() if p in text]
    assert not leaked, f"unmasked phone numbers in the answer: {leaked}"
    assert not re.search(r"(?<![\d*])1\d{10}(?![\d*])", text)  # no 11-digit mobile-like run at all


# ======================================================================================================================
# GET /api/v1/users
# ======================================================================================================================
USER_SCOPE = [
    # persona              sees the accounts of
    ("sysadmin",           "everyone"),
    ("secadmin",           "everyone"),
    ("auditadmin",         None),                  # nobody, not even themselves
    ("leader",             "DISTRICT"),
    ("dispatcher",         "DISTRICT"),
    ("hotline",            "DISTRICT"),
    ("street_dispatcher",  "STREET_1"),
    ("police",             "STREET_1"),
    ("community",          "COMMUNITY_1"),
    ("gridleader",         "GRID_A"),
    ("worker_a",           "GRID_A"),
    ("worker_b",           "GRID_B"),
]


def _expected_usernames(territory, persona, root) -> set[str]:
    """Active accounts attached (org unit or grids served) to a region inside the root, plus the persona."""
    from gridgov.accounts.models import User

    users = User.objects.filter(is_active=True).select_related("region").prefetch_related("grids")
    if root == "everyone":
        return {u.username for u in users}
    if root is None:
        return set()
    root_code = territory.code(root)
    return {u.username for u in users
            if u.username == persona
            or (u.region_id and inside(u.region.code, root_code))
            or any(inside(g.code, root_code) for g in u.grids.all())}


@pytest.mark.parametrize("persona, root", USER_SCOPE)
def test_user_list_is_exactly_the_accounts_in_scope(client_for, territory, persona, root):
    items = get_all(client_for(persona), "/api/v1/users")

    usernames = [item["username"] for item in items]
    assert len(usernames) == len(set(usernames))
    assert set(usernames) == _expected_usernames(territory, persona, root)


@pytest.mark.parametrize("persona", PERSONAS)
def test_user_list_masks_every_phone(client_for, persona):
    client = client_for(persona)
    response = client.get("/api/v1/users")

    assert response.status_code == 200
    for item in get_all(client, "/api/v1/users"):
        assert MASKED_MOBILE.fullmatch(item["phone"]), item
    assert_no_phone_disclosed(response)


def test_worker_a_sees_the_people_of_grid_a_and_themselves_only(client_for, territory):
    items = get_all(client_for("worker_a"), "/api/v1/users")

    assert {item["username"] for item in items} == {"worker_a", "gridleader"}
    assert all(territory.code("GRID_A") in item["grids"] or item["region"] == territory.code("GRID_A")
               for item in items)


def test_auditadmin_sees_no_accounts(client_for):
    response = client_for("auditadmin").get("/api/v1/users")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0}


@pytest.mark.parametrize("persona", PERSONAS)
def test_me_is_the_persona_with_a_masked_phone(client_for, persona):
    response = client_for(persona).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["username"] == persona
    assert MASKED_MOBILE.fullmatch(response.json()["phone"])
    assert_no_phone_disclosed(response)


@pytest.mark.parametrize("persona, region", [
    ("worker_a",           "GRID_A"),
    ("street_dispatcher",  "STREET_1"),
    ("community",          "COMMUNITY_1"),
    ("sysadmin",           "DISTRICT"),
])
def test_people_responsible_for_a_region_have_masked_phones(client_for, territory, persona, region):
    response = client_for(persona).get(f"/api/v1/regions/{territory.id(region)}")

    assert response.status_code == 200
    people = response.json()["workers"] + response.json()["staff"]
    assert people
    assert all(MASKED_MOBILE.fullmatch(p["phone"]) for p in people)
    assert_no_phone_disclosed(response)


# ======================================================================================================================
# GET /api/v1/departments
# ======================================================================================================================
DEPARTMENT_SCOPE = [
    # persona              sees the departments serving
    ("sysadmin",           "everyone"),
    ("secadmin",           "everyone"),
    ("auditadmin",         None),                  # none
    ("police",             "own"),                 # its own department only
    ("hotline",            "own"),
    ("leader",             "DISTRICT"),
    ("dispatcher",         "DISTRICT"),
    ("street_dispatcher",  "STREET_1"),
    ("community",          "COMMUNITY_1"),
    ("gridleader",         "GRID_A"),
    ("worker_a",           "GRID_A"),
    ("worker_b",           "GRID_B"),
]


def _expected_departments(territory, persona, root) -> set[str]:
    """Departments of the root's street/district above it, or of a region inside it.

    (The demo's departments serve the region they belong to: none has an explicit service area.)
    """
    from gridgov.accounts.models import Department, User

    departments = Department.objects.filter(is_active=True).select_related("region")
    assert not departments.filter(service_area__isnull=False).exists()
    if root == "everyone":
        return {d.code for d in departments}
    if root is None:
        return set()
    if root == "own":
        return {User.objects.get(username=persona).department.code}
    root_code = territory.code(root)
    return {d.code for d in departments if root_code.startswith(d.region.code) or d.region.code.startswith(root_code)}


@pytest.mark.parametrize("persona, root", DEPARTMENT_SCOPE)
def test_department_list_is_exactly_the_departments_in_scope(client_for, territory, persona, root):
    items = get_all(client_for(persona), "/api/v1/departments")

    codes = [item["code"] for item in items]
    assert len(codes) == len(set(codes))
    assert set(codes) == _expected_departments(territory, persona, root)


def test_police_sees_only_its_own_department(client_for, territory):
    items = get_all(client_for("police"), "/api/v1/departments")
    assert [item["code"] for item in items] == [f"{territory.code('STREET_1')}-PCS"]


def test_worker_a_sees_its_street_and_the_district_departments_not_street_2(client_for, territory):
    codes = {item["code"] for item in get_all(client_for("worker_a"), "/api/v1/departments")}

    street_1, street_2 = territory.code("STREET_1"), territory.code("STREET_2")
    assert f"{street_1}-PCS" in codes and "RX12345" in codes and "MZJ" in codes
    assert {c for c in codes if c.startswith(f"{street_2}-")} == set()
    assert all(c.startswith(f"{street_1}-") or "-" not in c for c in codes)


DEPARTMENT_ACCESS = [
    # persona              department                 visible
    ("worker_a",           "{STREET_1}-PCS",          True),
    ("worker_a",           "RX12345",                 True),
    ("worker_a",           "{STREET_2}-PCS",          False),
    ("street_dispatcher",  "{STREET_2}-ZRZY",         False),
    ("police",             "{STREET_1}-PCS",          True),
    ("police",             "{STREET_1}-ZRZY",         False),
    ("police",             "MZJ",                     False),
    ("hotline",            "{STREET_1}-PCS",          False),
    ("auditadmin",         "RX12345",                 False),
    ("secadmin",           "{STREET_2}-PCS",          True),
]


@pytest.mark.parametrize("persona, department, visible", DEPARTMENT_ACCESS)
def test_one_department_in_scope_200_out_of_scope_404(client_for, territory, persona, department, visible):
    from gridgov.accounts.models import Department

    code = department.format(STREET_1=territory.code("STREET_1"), STREET_2=territory.code("STREET_2"))
    dept = Department.objects.get(code=code)
    client = client_for(persona)

    response = client.get(f"/api/v1/departments/{dept.pk}")

    if visible:
        assert response.status_code == 200
        assert response.json()["code"] == code
    else:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert dept.name not in response.content.decode()
        nothing = client.get(f"/api/v1/departments/{Department.objects.order_by('-pk').first().pk + 1000}")
        assert nothing.status_code == 404 and nothing.json() == response.json()
