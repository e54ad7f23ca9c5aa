"""三员 in the admin: the system, security and audit administrators each see only their own work (docs/permissions.md).

The table below is the split. It must name every model registered on the admin site, so a model admin added
tomorrow fails here until someone decides whose work it is.
"""

import re

import pytest
from django.contrib import admin

from gridgov.accounts.models import User

pytestmark = pytest.mark.django_db

SPLIT = {
    # master data and system operation
    "sysadmin": {"regions.region", "regions.layer", "regions.layergrid", "regions.gridchange", "accounts.department",
                 "events.category", "registry.tag", "common.calendarday", "common.calendaryear",
                 "fieldwork.patrolschedule", "events.hotlineclient", "open311.open311client", "common.outboxmessage"},
    # accounts, roles, security
    "secadmin": {"accounts.user"},
    # the audit log only
    "auditadmin": {"common.auditlog"},
}
REGISTERED = {model._meta.label_lower for model in admin.site._registry}


def url(label: str, suffix: str = "") -> str:
    return "/admin/{}/{}/".format(*label.split(".")) + suffix


def test_the_split_names_every_registered_model_once():
    named = [label for labels in SPLIT.values() for label in labels]
    assert sorted(named) == sorted(set(named)), "a model belongs to two administrators"
    assert set(named) == REGISTERED


@pytest.mark.parametrize("persona", SPLIT)
def test_the_admin_index_lists_exactly_the_persona_work(as_user, persona):
    page = as_user(persona).get("/admin/")
    assert page.status_code == 200
    listed = {f"{app}.{model}" for app, model in re.findall(r'href="/admin/(\w+)/(\w+)/"', page.content.decode())}
    assert listed == SPLIT[persona]


@pytest.mark.parametrize("persona", SPLIT)
def test_the_persona_opens_their_own_models(as_user, persona):
    client = as_user(persona)
    for label in sorted(SPLIT[persona]):
        assert client.get(url(label)).status_code == 200, label


@pytest.mark.parametrize("persona", SPLIT)
def test_a_direct_url_to_another_administrators_model_answers_403(as_user, persona):
    client = as_user(persona)
    for label in sorted(REGISTERED - SPLIT[persona]):
        model = next(m for m in admin.site._registry if m._meta.label_lower == label)
        obj = model._default_manager.order_by("pk").first()
        assert client.get(url(label)).status_code == 403, label
        assert client.get(url(label, "add/")).status_code == 403, label
        if obj is not None:
            assert client.get(url(label, f"{obj.pk}/change/")).status_code == 403, label
            assert client.post(url(label, f"{obj.pk}/delete/"), {"post": "yes"}).status_code == 403, label
            assert model._default_manager.filter(pk=obj.pk).exists()


BUSINESS = ["events.event", "visits.visit", "disputes.dispute", "registry.person", "registry.household",
            "fieldwork.gpspoint", "fieldwork.anomaly", "auth.group"]


@pytest.mark.parametrize("persona", SPLIT)
def test_business_data_is_not_in_the_admin(as_user, persona):
    """Cases, visits, disputes, the population register, patrol tracks (and Django's groups, which roles replace):
    not registered, so no administrator reads them in the admin."""
    assert not REGISTERED & set(BUSINESS)
    client = as_user(persona)
    for label in BUSINESS:
        assert client.get(url(label)).status_code == 404, label


def test_the_security_administrator_no_longer_reads_cases_or_the_outbox(as_user):
    client = as_user("secadmin")
    index = client.get("/admin/").content.decode()
    for label in ("events.event", "common.outboxmessage", "regions.region", "events.category"):
        assert f'href="{url(label)}"' not in index
    assert client.get(url("common.outboxmessage")).status_code == 403
    assert client.get("/admin/events/event/").status_code == 404


def test_the_system_administrator_no_longer_reads_accounts(as_user):
    worker = User.objects.get(username="worker_a")
    client = as_user("sysadmin")
    assert client.get(url("accounts.user")).status_code == 403
    assert client.get(url("accounts.user", f"{worker.pk}/change/")).status_code == 403
