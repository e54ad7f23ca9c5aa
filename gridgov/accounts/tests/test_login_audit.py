"""Every login, failed login and logout leaves an audit row (who, when, from where, outcome) — real password logins
through the login pages, not force_login."""

import pytest
from django.test import Client

from gridgov.demo import DEMO_PASSWORD as PASSWORD

LOGIN_PAGES = ["/login/", "/admin/login/"]


def _new_audit_rows(since_pk: int) -> list:
    from gridgov.common.models import AuditLog

    return list(AuditLog.objects.filter(pk__gt=since_pk).order_by("pk"))


def _last_pk() -> int:
    from gridgov.common.models import AuditLog

    last = AuditLog.objects.order_by("-pk").first()
    return last.pk if last else 0


@pytest.mark.parametrize("page", LOGIN_PAGES)
@pytest.mark.parametrize("username", ["worker_a", "no_such_user"])
def test_a_failed_login_is_audited_as_failed(db, page, username):
    client = Client()
    since = _last_pk()

    response = client.post(page, {"username": username, "password": "wrong-password-123"})

    assert response.status_code == 200  # the form again, with an error
    rows = _new_audit_rows(since)
    assert [(r.action, r.outcome) for r in rows] == [("auth.login_failed", "failed")]
    row = rows[0]
    assert row.actor is None
    assert row.detail.get("username") == username
    assert "wrong-password-123" not in str(row.detail)  # the password tried is never stored
    assert row.ip == "127.0.0.1"
    assert client.get("/api/v1/me").status_code == 401  # and nobody is logged in


def test_a_successful_login_is_audited(db, user):
    client = Client()
    since = _last_pk()

    response = client.post("/login/", {"username": "worker_a", "password": PASSWORD})

    assert response.status_code == 302
    rows = _new_audit_rows(since)
    assert [(r.action, r.outcome) for r in rows] == [("auth.login", "success")]
    assert rows[0].actor == user("worker_a")
    assert rows[0].actor_name == "worker_a"
    assert rows[0].ip == "127.0.0.1"
    assert client.get("/api/v1/me").json()["username"] == "worker_a"


def test_an_admin_login_is_audited(db, user):
    client = Client()
    since = _last_pk()

    response = client.post("/admin/login/?next=/admin/", {"username": "auditadmin", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert [(r.action, r.outcome, r.actor) for r in _new_audit_rows(since)] == [
        ("auth.login", "success", user("auditadmin"))]


def test_a_logout_is_audited(db, as_user, user):
    client = as_user("worker_a")
    since = _last_pk()

    response = client.post("/logout/")

    assert response.status_code in (200, 302)
    assert [(r.action, r.actor) for r in _new_audit_rows(since)] == [("auth.logout", user("worker_a"))]
    assert client.get("/api/v1/me").status_code == 401
