"""The patrol pages' forms: the anomaly review names its bad field in Chinese and changes nothing; the filters'
bad values (a month of year 9999, an id that cannot be one) fall back to their defaults instead of failing."""

import re

import pytest

from gridgov.fieldwork.models import Anomaly

pytestmark = pytest.mark.django_db


def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', response.content.decode()))


@pytest.mark.parametrize(("data", "field"), [
    ({"decision": "confirm", "note": "x"}, "note"),
    ({"decision": "confirm", "note": "长" * 301}, "note"),
])
def test_review_names_the_bad_note(as_user, user, data, field):
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    response = as_user("street_dispatcher").post(f"/anomalies/{copied.pk}/", data)
    assert response.status_code == 422
    errors = _errors(response)
    assert list(errors) == [field] and re.search(r"[\u4e00-\u9fff]", errors[field]), errors
    copied.refresh_from_db()
    assert copied.status == "open"


@pytest.mark.parametrize("decision", ["", "approve"])
def test_review_needs_a_known_decision(as_user, user, decision):
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    response = as_user("street_dispatcher").post(f"/anomalies/{copied.pk}/", {"decision": decision,
                                                                                "note": "与18日轨迹完全相同"})
    assert response.status_code == 422 and "确认或排除" in response.content.decode()
    copied.refresh_from_db()
    assert copied.status == "open"


@pytest.mark.parametrize("query", ["month=9999-12", "month=0000-01", "month=soon", f"worker={2**63}", "worker=abc",
                                   "status=planet", "kind=planet", "all=maybe"])
def test_bad_filters_fall_back_to_defaults(as_user, query):
    client = as_user("dispatcher")
    for url in ("/patrols/", "/patrols/schedule/", "/anomalies/"):
        assert client.get(f"{url}?{query}").status_code == 200, url
