"""The 12345 client admin: the system administrator only; the secret is write-only (generated and shown once, or
typed in) and never appears in any admin page; every add and change is audited without the secret."""

import re

import pytest
from django.db import connection

from gridgov.common.models import AuditLog
from gridgov.events.hotline import hotline_signature
from gridgov.events.models import HotlineClient

pytestmark = pytest.mark.django_db

SECRET = "k3y-for-tests-only-0123456789abcdef0123"
LIST, ADD = "/admin/events/hotlineclient/", "/admin/events/hotlineclient/add/"


def change_url(client) -> str:
    return f"/admin/events/hotlineclient/{client.pk}/change/"


def _column(pk) -> str:
    """The column as stored, bypassing the field."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM events_hotlineclient WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def hotline(db):
    return HotlineClient.objects.create(name="区12345热线", client_id="hotline-district", secret=SECRET,
                                        callback_url="https://12345.example.gov/cb")


def warnings_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "warning"]


def form_data(client=None, **changes) -> dict:
    data = {"name": "区12345热线", "client_id": "hotline-district", "callback_url": "https://12345.example.gov/cb",
            "is_active": "on", "new_secret": ""}
    if client is not None:
        data.update(name=client.name, client_id=client.client_id, callback_url=client.callback_url)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def assert_secret_nowhere(admin, client, secret):
    token = _column(client.pk)
    for url in (LIST, change_url(client), f"/admin/events/hotlineclient/{client.pk}/history/",
                f"{LIST}?q=hotline"):
        page = admin.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert secret not in html and token not in html and token.split(":")[2][:20] not in html, url
    for row in AuditLog.objects.filter(object_type="events.hotlineclient"):
        assert secret not in str(row.detail) and token not in str(row.detail)


def test_the_system_administrator_lists_clients(as_user, hotline):
    page = as_user("sysadmin").get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("区12345热线", "hotline-district", "https://12345.example.gov/cb"):
        assert text in html
    assert SECRET not in html


def test_adding_a_client_generates_a_secret_shown_once(as_user):
    admin = as_user("sysadmin")
    response = admin.post(ADD, form_data(), follow=True)
    assert response.status_code == 200
    client = HotlineClient.objects.get(client_id="hotline-district")
    [message] = warnings_of(response)
    secret = re.search(r"\b[0-9a-f]{64}\b", message).group()
    assert client.secret == secret and "hotline-district" in message
    assert _column(client.pk).startswith("v1:")  # encrypted at rest
    # pushes signed with the shown secret are what the platform checks against
    assert hotline_signature(client.secret, "1", b"{}") == hotline_signature(secret, "1", b"{}")
    again = admin.get(LIST)
    assert secret not in again.content.decode() and not list(again.context["messages"])  # once only
    audit = AuditLog.objects.get(action="admin.create", object_type="events.hotlineclient", object_id=str(client.pk))
    assert audit.actor.username == "sysadmin" and audit.detail["secret"] == "generated"
    assert audit.detail["changes"]["client_id"] == {"before": None, "after": "hotline-district"}
    assert audit.detail["changes"]["secret"] == {"before": None, "after": "******"}
    assert_secret_nowhere(admin, client, secret)


def test_a_typed_secret_is_kept_and_never_shown(as_user):
    admin = as_user("sysadmin")
    typed = "dictated-by-the-hotline-vendor-0123456789"
    response = admin.post(ADD, form_data(new_secret=typed), follow=True)
    client = HotlineClient.objects.get(client_id="hotline-district")
    assert client.secret == typed and warnings_of(response) == []
    assert typed not in response.content.decode()
    assert AuditLog.objects.get(action="admin.create", object_type="events.hotlineclient").detail["secret"] == "typed"
    assert_secret_nowhere(admin, client, typed)


def test_changing_other_fields_keeps_the_secret(as_user, hotline):
    admin = as_user("sysadmin")
    page = admin.get(change_url(hotline)).content.decode()
    assert 'name="new_secret"' in page and 'name="generate_secret"' in page and SECRET not in page
    response = admin.post(change_url(hotline), form_data(hotline, callback_url="https://12345.example.gov/v2",
                                                         is_active=None), follow=True)
    assert response.status_code == 200 and warnings_of(response) == []
    hotline.refresh_from_db()
    assert hotline.secret == SECRET and hotline.callback_url == "https://12345.example.gov/v2"
    assert not hotline.is_active
    audit = AuditLog.objects.get(action="admin.change", object_type="events.hotlineclient", object_id=str(hotline.pk))
    assert audit.detail["secret"] == "kept" and set(audit.detail["changes"]) == {"callback_url", "is_active"}
    assert audit.detail["changes"]["is_active"] == {"before": True, "after": False}
    assert_secret_nowhere(admin, hotline, SECRET)


def test_generate_a_new_secret_replaces_it_and_shows_it_once(as_user, hotline):
    admin = as_user("sysadmin")
    response = admin.post(change_url(hotline), form_data(hotline, generate_secret="on"), follow=True)
    [message] = warnings_of(response)
    secret = re.search(r"\b[0-9a-f]{64}\b", message).group()
    hotline.refresh_from_db()
    assert hotline.secret == secret != SECRET
    audit = AuditLog.objects.get(action="admin.change", object_type="events.hotlineclient")
    assert audit.detail["secret"] == "generated"
    assert audit.detail["changes"] == {"secret": {"before": "******", "after": "******"}}
    assert_secret_nowhere(admin, hotline, secret)


@pytest.mark.parametrize("changes, field", [
    ({"new_secret": "too-short"}, "new_secret"),
    ({"new_secret": "x" * 40, "generate_secret": "on"}, "generate_secret"),
])
def test_a_bad_secret_change_is_refused_and_changes_nothing(as_user, hotline, changes, field):
    response = as_user("sysadmin").post(change_url(hotline), form_data(hotline, **changes))
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors[field]
    assert "x" * 40 not in response.content.decode()  # a typed secret is not echoed back either
    hotline.refresh_from_db()
    assert hotline.secret == SECRET
    assert not AuditLog.objects.filter(action="admin.change", object_type="events.hotlineclient").exists()


@pytest.mark.parametrize("username", ["secadmin", "auditadmin"])
def test_other_administrators_are_refused(as_user, hotline, username):
    other = as_user(username)
    for url in (LIST, ADD, change_url(hotline)):
        assert other.get(url).status_code == 403, url
    assert other.post(change_url(hotline), form_data(hotline, generate_secret="on")).status_code == 403
    assert other.post(ADD, form_data(client_id="hotline-other")).status_code == 403
    hotline.refresh_from_db()
    assert hotline.secret == SECRET and not HotlineClient.objects.filter(client_id="hotline-other").exists()
    assert "hotlineclient" not in other.get("/admin/").content.decode()


@pytest.mark.parametrize("username", ["dispatcher", "worker_a", "anonymous"])
def test_staff_and_anonymous_are_sent_to_the_admin_login(as_user, hotline, username):
    other = as_user(username)
    for url in (LIST, change_url(hotline)):
        response = other.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    assert other.post(change_url(hotline), form_data(hotline, generate_secret="on")).status_code == 302
    hotline.refresh_from_db()
    assert hotline.secret == SECRET
