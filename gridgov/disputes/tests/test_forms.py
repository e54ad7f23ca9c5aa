"""The dispute pages' forms: registering names each bad field in Chinese and writes nothing; moves and filters check
their input like the API (no 500 for a huge version, a far date or a bad status)."""

import re

import pytest

from gridgov.disputes.models import Dispute

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def grid_a(user):
    return user("worker_a").grids.get()


def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', response.content.decode()))


def _register(grid_region, **extra):
    data = {"kind": "neighbour", "grid": grid_region.pk, "summary": "楼道堆物", "client_key": "",
            "party_role_0": "applicant", "party_name_0": "赵六", "party_phone_0": PHONE}
    data.update(extra)
    return data


@pytest.mark.parametrize(("extra", "fields"), [
    ({"kind": ""}, {"kind"}),
    ({"kind": "feud"}, {"kind"}),
    ({"summary": ""}, {"summary"}),
    ({"summary": "x" * 2001}, {"summary"}),
    ({"grid": "999999999999"}, {"grid"}),
    ({"occurred_at": "0001-01-01T00:00"}, {"occurred_at"}),
    ({"occurred_at": "2099-01-01T10:00"}, {"occurred_at"}),  # the service: in the future
    ({"party_name_0": ""}, {"party_name_0"}),  # a phone without a name, and no party at all
    ({"party_phone_0": "call me"}, {"party_phone_0"}),
    ({"party_role_1": "judge", "party_name_1": "钱七"}, {"party_role_1"}),
    ({"party_name_2": "钱" * 65}, {"party_name_2"}),
])
def test_register_names_each_bad_field_and_writes_nothing(as_user, grid_a, extra, fields):
    before = Dispute.objects.count()
    response = as_user("worker_a").post("/disputes/new/", _register(grid_a, **extra))
    assert response.status_code == 422
    errors = _errors(response)
    assert set(errors) == fields, errors
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in errors.values()), errors
    assert Dispute.objects.count() == before
    assert "楼道堆物" in response.content.decode() or "summary" in fields  # what was typed stays


def test_register_records_the_named_parties(as_user, grid_a):
    response = as_user("worker_a").post("/disputes/new/", _register(
        grid_a, client_key="form-1", party_role_1="respondent", party_name_1="钱七", party_phone_2=""))
    assert response.status_code == 302
    dispute = Dispute.objects.get(client_key="form-1")
    assert [(p.role, p.name, p.phone) for p in dispute.parties.order_by("pk")] == [
        ("applicant", "赵六", PHONE), ("respondent", "钱七", "")]


@pytest.mark.parametrize("data", [
    {"action": "settle", "agreement": "x", "version": str(2**63)},
    {"action": "settle", "agreement": "x", "follow_up_due": "0001-01-01"},
    {"action": "teleport"},
    {"action": "step", "kind": "bribe", "note": "x"},
    {"action": "fail", "reason": "x" * 2001},
])
def test_bad_moves_are_reported_and_change_nothing(as_user, grid_a, data):
    client = as_user("worker_a")
    client.post("/disputes/new/", _register(grid_a, client_key="form-2"))
    dispute = Dispute.objects.get(client_key="form-2")
    response = client.post(f"/disputes/{dispute.pk}/act/", data, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown and all(re.search(r"[\u4e00-\u9fff]", m) for m in shown), shown
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert (fresh.status, fresh.version) == (dispute.status, dispute.version)


@pytest.mark.parametrize("query", ["status=planet", "since=0001-01-01", "since=yesterday", "until=9999-12-31"])
def test_bad_filters_are_named_not_a_crash(as_user, query):
    response = as_user("worker_a").get(f"/disputes/?{query}")
    assert response.status_code == 200 and 'class="error"' in response.content.decode()


@pytest.mark.parametrize("query", ["since=0001-01-01", "level=planet", "since=2026-02-01&until=2026-01-01"])
def test_bad_statistics_periods_are_named(as_user, query):
    response = as_user("worker_a").get(f"/disputes/stats/?{query}")
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
