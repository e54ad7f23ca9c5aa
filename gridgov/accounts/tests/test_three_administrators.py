"""三员分立 and the decisions around it: none of the three administrators can do another's work."""

import pytest

from gridgov.accounts.models import User

pytestmark = pytest.mark.django_db


def test_security_admin_cannot_change_an_administrator_account(as_user):
    client = as_user("secadmin")
    sysadmin = User.objects.get(username="sysadmin")
    page = client.get(f"/admin/accounts/user/{sysadmin.pk}/change/")
    assert page.status_code == 200 and b'name="role"' not in page.content  # shown read-only
    response = client.post(f"/admin/accounts/user/{sysadmin.pk}/change/", {"username": "sysadmin",
                                                                            "role": "sec_admin"})
    assert response.status_code == 403
    sysadmin.refresh_from_db()
    assert sysadmin.role == "sys_admin"


def test_security_admin_cannot_create_an_administrator(as_user):
    client = as_user("secadmin")
    form = client.get("/admin/accounts/user/add/").content.decode()
    assert 'value="grid_worker"' in form
    assert 'value="sys_admin"' not in form and 'value="audit_admin"' not in form
    response = client.post("/admin/accounts/user/add/", {
        "username": "new_admin", "password1": "Zq8!long-enough-pw", "password2": "Zq8!long-enough-pw",
        "role": "sys_admin", "full_name": "x"})
    assert response.status_code == 200  # the form comes back with the error
    assert not User.objects.filter(username="new_admin").exists()


def test_security_admin_can_still_manage_staff_accounts(as_user):
    worker = User.objects.get(username="worker_b")
    page = as_user("secadmin").get(f"/admin/accounts/user/{worker.pk}/change/")
    assert page.status_code == 200 and b'name="role"' in page.content


def test_audit_admin_has_no_territory_not_even_locate(as_user):
    response = as_user("auditadmin").get("/api/v1/grids/locate?lon=113.86&lat=22.70")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    bulk = as_user("auditadmin").post("/api/v1/grids/locate", {"points": [[113.86, 22.70]]},
                                      content_type="application/json")
    assert bulk.status_code == 403


def test_api_docs_need_a_login(as_user):
    assert as_user("anonymous").get("/api/v1/docs").status_code == 302
    assert as_user("worker_a").get("/api/v1/docs").status_code == 200
