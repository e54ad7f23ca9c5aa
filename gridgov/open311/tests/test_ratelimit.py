"""Open311 clients are limited to GRIDGOV_CLIENT_REQUESTS_PER_MINUTE requests per api_key: over it, 429 with
Retry-After in the spec's error format (XML or JSON), and nothing is written."""

import time

import pytest

from gridgov.common import ratelimit
from gridgov.events.models import Event
from gridgov.open311.models import Open311Client
from gridgov.open311.tests.conftest import FORMATS, errors, post_request

pytestmark = pytest.mark.django_db



@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_over_the_limit_gets_429_with_retry_after_and_writes_nothing(api, api_key, point, settings,
                                                                                 fmt):
    settings.GRIDGOV_CLIENT_REQUESTS_PER_MINUTE = 3
    codes = [post_request(api, fmt, key=api_key, point=point, description=f"第{i}处垃圾").status_code
             for i in range(3)]
    assert codes == [201, 201, 201]
    before = Event.objects.count()
    refused = post_request(api, fmt, key=api_key, point=point)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    [(code, description)] = errors(refused, fmt)
    assert code == 429 and "3" in description and refused["Retry-After"] in description
    assert post_request(api, fmt, key=api_key, point=None).status_code == 429  # refused before the input is read
    assert Event.objects.count() == before
    other_key = Open311Client.issue("另一个客户端")[1]
    assert post_request(api, fmt, key=other_key, point=point).status_code == 201  # other clients are unaffected
    assert api.get(f"/open311/v2/services.{fmt}").status_code == 200  # public reads are not a client's requests


def test_the_window_resets(api, api_key, point, settings, monkeypatch):
    settings.GRIDGOV_CLIENT_REQUESTS_PER_MINUTE = 2
    monkeypatch.setattr(ratelimit, "CLIENT_WINDOW_SECONDS", 1)
    codes = [post_request(api, "json", key=api_key, point=point, description=f"第{i}处垃圾").status_code
             for i in range(3)]
    assert codes == [201, 201, 429]
    time.sleep(1.1)
    assert post_request(api, "json", key=api_key, point=point, description="又一处垃圾").status_code == 201


def test_a_bad_api_key_is_refused_as_before_and_not_counted_for_anyone(api, api_key, point, settings):
    settings.GRIDGOV_CLIENT_REQUESTS_PER_MINUTE = 1
    for _ in range(3):
        assert post_request(api, "json", key="not-a-key", point=point).status_code == 403
    assert post_request(api, "json", key=api_key, point=point).status_code == 201
