"""The Django admin is the console of the three administrators (三员), each kept to their own work:

sysadmin edits the territory (regions, layers, departments) and does not see accounts; secadmin edits accounts and
only picks a region or a department by name in the account form; auditadmin only reads the audit log. Everyone else
is sent to the admin login page. The full split is in gridgov/common/tests/test_admin_split.py.
"""

import pytest

from gridgov.accounts.tests.permission_matrix import (  # noqa: F401  (fixtures)
    PERSONAS,
    client_for,
    db_snapshot,
    territory,
)

LOGIN = "login"  # a redirect to /admin/login/?next=…

ADMIN_PAGES = [
    # page                                   sysadmin  secadmin  auditadmin  everyone else
    ("/admin/",                              200,      200,      200,        LOGIN),
    ("/admin/regions/region/",               200,      403,      403,        LOGIN),
    ("/admin/regions/layer/",                200,      403,      403,        LOGIN),
    ("/admin/accounts/department/",          200,      403,      403,        LOGIN),
    ("/admin/accounts/user/",                403,      200,      403,        LOGIN),
    ("/admin/accounts/user/add/",            403,      200,      403,        LOGIN),
    ("/admin/common/auditlog/",              403,      403,      200,        LOGIN),
]


def _expected(row, persona):
    page, sysadmin, secadmin, auditadmin, others = row
    return {"sysadmin": sysadmin, "secadmin": secadmin, "auditadmin": auditadmin}.get(persona, others)


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
@pytest.mark.parametrize("row", ADMIN_PAGES, ids=[row[0] for row in ADMIN_PAGES])
def test_admin_page_matrix(client_for, row, persona):
    page = row[0]
    expected = _expected(row, persona) if persona != "anonymous" else LOGIN

    response = client_for(persona).get(page)

    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith("/admin/login/?next=")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("persona, visible, hidden", [
    # persona        the admin index links to             … and not to
    ("sysadmin",     ["regions/region"],                   ["common/auditlog", "accounts/user"]),
    ("secadmin",     ["accounts/user"],                    ["common/auditlog", "regions/region"]),
    ("auditadmin",   ["common/auditlog"],                  ["regions/region", "accounts/user", "accounts/department"]),
])
def test_admin_index_lists_only_the_persona_work(client_for, persona, visible, hidden):
    text = client_for(persona).get("/admin/").content.decode()
    for model in visible:
        assert f'href="/admin/{model}/"' in text
    for model in hidden:
        assert f'href="/admin/{model}/"' not in text


def _region_form(region, **changes) -> dict:
    import json

    data = {"name": region.name, "households": region.households, "population": region.population,
            "villager_groups": region.villager_groups, "geometry": json.dumps(region.geometry),
            "effective_date": "2026-06-01", "reason": "admin test"}
    data.update(changes)
    return data


def test_sysadmin_may_change_a_region_in_the_admin(client_for, territory):
    """Positive control for the refusals below: the same form from the system administrator goes through."""
    from gridgov.regions.models import Region

    region = territory["GRID_A"]
    response = client_for("sysadmin").post(f"/admin/regions/region/{region.pk}/change/",
                                           _region_form(region, name="管理后台改名"))

    assert response.status_code == 302
    assert Region.objects.get(pk=region.pk).name == "管理后台改名"


@pytest.mark.parametrize("persona", ["secadmin", "auditadmin"])
def test_only_sysadmin_may_change_a_region_in_the_admin(client_for, territory, persona):
    region = territory["GRID_A"]
    client = client_for(persona)
    before = db_snapshot()

    response = client.post(f"/admin/regions/region/{region.pk}/change/", _region_form(region, name="管理后台改名"))

    assert response.status_code == 403
    assert db_snapshot() == before


def test_secadmin_picks_a_region_in_the_account_form_but_cannot_browse_regions(client_for, territory):
    """The account form's org unit is an autocomplete over regions: the security administrator may search it (names
    and codes only) while filling in an account, but not open the territory itself."""
    lookup = "/admin/autocomplete/?app_label=accounts&model_name=user&field_name=region&term=" + \
        territory["GRID_A"].name
    found = client_for("secadmin").get(lookup)
    assert found.status_code == 200
    assert str(territory.id("GRID_A")) in [row["id"] for row in found.json()["results"]]
    assert client_for("secadmin").get(f"/admin/regions/region/{territory.id('GRID_A')}/change/").status_code == 403
    # the same search from another model's form the security administrator does not edit is refused
    assert client_for("secadmin").get("/admin/autocomplete/?app_label=accounts&model_name=department"
                                      "&field_name=region&term=x").status_code == 403
    assert client_for("auditadmin").get(lookup).status_code == 403
    assert client_for("sysadmin").get(lookup).status_code == 200  # may see regions anyway


def test_secadmin_may_add_an_account(client_for, territory):
    from gridgov.accounts.models import User

    response = client_for("secadmin").post("/admin/accounts/user/add/", {
        "username": "new_worker", "password1": "a-Long-passw0rd-2026", "password2": "a-Long-passw0rd-2026",
        "full_name": "新网格员", "role": "grid_worker", "region": "", "department": ""})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(username="new_worker", role="grid_worker").exists()


@pytest.mark.parametrize("persona", ["sysadmin", "auditadmin"])
def test_only_secadmin_may_add_an_account(client_for, persona):
    from gridgov.accounts.models import User

    client = client_for(persona)
    response = client.post("/admin/accounts/user/add/", {
        "username": "new_worker", "password1": "a-Long-passw0rd-2026", "password2": "a-Long-passw0rd-2026",
        "full_name": "新网格员", "role": "sys_admin", "region": "", "department": ""})

    assert response.status_code == 403
    assert not User.objects.filter(username="new_worker").exists()


@pytest.mark.parametrize("persona", ["sysadmin", "auditadmin"])
def test_only_secadmin_may_change_an_account_or_its_password(client_for, persona):
    from gridgov.accounts.models import User

    worker = User.objects.get(username="worker_a")
    client = client_for(persona)

    change = client.post(f"/admin/accounts/user/{worker.pk}/change/", {
        "username": "worker_a", "full_name": "x", "role": "sys_admin", "is_active": "on"})
    password = client.post(f"/admin/accounts/user/{worker.pk}/password/", {
        "password1": "a-Long-passw0rd-2026", "password2": "a-Long-passw0rd-2026"})

    assert change.status_code == 403 and password.status_code == 403
    worker.refresh_from_db()
    assert worker.role == "grid_worker" and worker.check_password("gridgov-demo-2026")


def test_auditadmin_reads_the_audit_log_but_cannot_change_or_delete_it(client_for):
    from gridgov.common.models import AuditLog

    client = client_for("auditadmin")  # the login itself is audited
    entry = AuditLog.objects.order_by("-pk").first()
    before = AuditLog.objects.count()

    assert client.get(f"/admin/common/auditlog/{entry.pk}/change/").status_code == 200
    assert client.post(f"/admin/common/auditlog/{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/common/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.count() == before
    assert AuditLog.objects.get(pk=entry.pk).action == entry.action
