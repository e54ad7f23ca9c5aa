"""API keys: created by the management command or the admin, shown once, stored only as a SHA-256 hash."""

import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command

from gridgov.common.models import AuditLog
from gridgov.open311.models import Open311Client

pytestmark = pytest.mark.django_db


def test_addclient_prints_a_key_once_and_stores_only_its_hash():
    out, err = io.StringIO(), io.StringIO()
    call_command("open311", "addclient", "街道随手拍", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert len(key) >= 40 and "\n" not in key
    client = Open311Client.objects.get(name="街道随手拍")
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(Open311Client.objects.filter(pk=client.pk).values().get())
    assert Open311Client.authenticate(key) == client
    assert Open311Client.authenticate(key + "x") is None and Open311Client.authenticate("") is None
    assert AuditLog.objects.filter(action="open311.client_add", object_id=str(client.pk)).exists()
    with pytest.raises(CommandError):
        call_command("open311", "addclient", "街道随手拍", stdout=io.StringIO(), stderr=io.StringIO())
    listed = io.StringIO()
    call_command("open311", "clients", stdout=listed)
    assert "街道随手拍\tactive" in listed.getvalue() and key not in listed.getvalue()


def test_newkey_replaces_the_key():
    client, old = Open311Client.issue("换密钥")
    out = io.StringIO()
    call_command("open311", "newkey", "换密钥", stdout=out, stderr=io.StringIO())
    new = out.getvalue().strip()
    assert new != old and Open311Client.authenticate(new) == client and Open311Client.authenticate(old) is None
    with pytest.raises(CommandError):
        call_command("open311", "newkey", "没有这个", stdout=io.StringIO(), stderr=io.StringIO())


def test_revoke_stops_the_key():
    client, key = Open311Client.issue("旧应用")
    call_command("open311", "revoke", "旧应用", stdout=io.StringIO())
    assert Open311Client.authenticate(key) is None
    client.refresh_from_db()
    assert not client.is_active
    with pytest.raises(CommandError):
        call_command("open311", "revoke", "旧应用", stdout=io.StringIO())


def test_the_system_administrator_adds_a_client_in_the_admin_and_sees_the_key_once(as_user):
    admin = as_user("sysadmin")
    response = admin.post("/admin/open311/open311client/add/", {"name": "12345 对接", "is_active": "on"},
                          follow=True)
    assert response.status_code == 200
    client = Open311Client.objects.get(name="12345 对接")
    [message] = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert "12345 对接" in message
    key = re.search(r"[A-Za-z0-9_-]{40,}", message).group()
    assert Open311Client.authenticate(key) == client
    change = admin.get(f"/admin/open311/open311client/{client.pk}/change/").content.decode()
    assert key not in change and client.key_hash not in change
    audit = AuditLog.objects.get(action="admin.create", object_type="open311.open311client", object_id=str(client.pk))
    assert audit.detail["changes"]["key_hash"] == {"before": None, "after": "******"}
    assert key not in str(audit.detail) and client.key_hash not in str(audit.detail)


@pytest.mark.parametrize("username", ["secadmin", "auditadmin"])
def test_other_administrators_cannot_manage_clients(as_user, username):
    other = as_user(username)
    assert other.get("/admin/open311/open311client/").status_code == 403
    assert other.post("/admin/open311/open311client/add/", {"name": "x"}).status_code == 403
    assert not Open311Client.objects.filter(name="x").exists()
