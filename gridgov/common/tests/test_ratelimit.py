"""Rate limits: the counting helper (fixed window from a caller's first request, counted in the Django cache) and the
12345 hotline's per-client limit over HTTP (Open311's is in gridgov/open311/tests/test_ratelimit.py)."""

import json
import time

import pytest
from django.test import Client

from gridgov.accounts.models import User
from gridgov.common import ratelimit
from gridgov.common.ratelimit import rate_hit
from gridgov.events.hotline import hotline_signature
from gridgov.events.models import Event, HotlineClient, HotlineOrder

SECRET_A, SECRET_B = "secret-of-a-0123456789abcdef0123456789", "secret-of-b-0123456789abcdef0123456789"



# --- the helper ------------------------------------------------------------------------------------------------------
def test_the_limit_passes_one_more_is_refused_and_other_callers_are_unaffected():
    hits = [rate_hit("test:a", limit=3, window=60) for _ in range(5)]
    assert [h.allowed for h in hits] == [True, True, True, False, False]
    assert [h.count for h in hits] == [1, 2, 3, 4, 5] and {h.limit for h in hits} == {3}
    assert all(58 <= h.retry_after <= 60 for h in hits), [h.retry_after for h in hits]
    other = rate_hit("test:b", limit=3, window=60)
    assert other.allowed and other.count == 1


def test_the_window_resets_by_the_time_retry_after_says():
    assert [rate_hit("test:a", limit=2, window=2).allowed for _ in range(2)] == [True, True]
    time.sleep(0.5)
    refused = rate_hit("test:a", limit=2, window=2)
    assert not refused.allowed and 1 <= refused.retry_after <= 2
    time.sleep(refused.retry_after)  # the cache's own expiry, not a patched clock
    assert [rate_hit("test:a", limit=2, window=2).allowed for _ in range(3)] == [True, True, False]


def test_retry_after_counts_down_to_the_end_of_the_window(monkeypatch):
    clock = [1_800_000_000.25]  # the window opens at .25 s and ends 60 s later
    monkeypatch.setattr(ratelimit, "_clock", lambda: clock[0])
    assert rate_hit("test:a", limit=1, window=60).retry_after == 60
    clock[0] += 45
    late = rate_hit("test:a", limit=1, window=60)
    assert not late.allowed and late.retry_after == 16  # 15 s left; whole seconds are stored: round up, never early


# --- 12345 hotline over HTTP -----------------------------------------------------------------------------------------
@pytest.fixture
def hotlines(db):
    return (HotlineClient.objects.create(name="区12345热线", client_id="hotline-a", secret=SECRET_A),
            HotlineClient.objects.create(name="市12345热线", client_id="hotline-b", secret=SECRET_B))


def push(client_id: str, secret: str, order_no: str, **override):
    grid = User.objects.get(username="worker_a").grids.get()
    body = {"order_no": order_no, "category": "0301", "description": "小区门口垃圾堆积三天无人清运",
            "lon": grid.centroid_lon, "lat": grid.centroid_lat, **override}
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    return Client(enforce_csrf_checks=True).post(
        "/api/v1/hotline/orders", data=raw, content_type="application/json", HTTP_X_HOTLINE_CLIENT=client_id,
        HTTP_X_HOTLINE_TIMESTAMP=stamp, HTTP_X_HOTLINE_SIGNATURE=hotline_signature(secret, stamp, raw))


def written():
    return Event.objects.count(), HotlineOrder.objects.count()


def test_a_hotline_client_over_its_limit_gets_429_with_retry_after_and_nothing_is_written(hotlines, settings):
    settings.GRIDGOV_CLIENT_REQUESTS_PER_MINUTE = 3
    assert [push("hotline-a", SECRET_A, f"GD-A-{i}").status_code for i in range(3)] == [201, 201, 201]
    before = written()
    refused = push("hotline-a", SECRET_A, "GD-A-3")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert set(body) == {"code", "message"} and body["message"]  # the hotline endpoint's error JSON
    assert push("hotline-a", SECRET_A, "GD-A-4", lon="not a number").status_code == 429  # before the body is read
    assert written() == before
    assert push("hotline-b", SECRET_B, "GD-B-0").status_code == 201  # another client is unaffected
    assert push("hotline-a", "wrong-secret", "GD-A-5").status_code == 401  # unauthenticated: not this client's


def test_a_hotline_clients_window_resets(hotlines, settings, monkeypatch):
    settings.GRIDGOV_CLIENT_REQUESTS_PER_MINUTE = 2
    monkeypatch.setattr(ratelimit, "CLIENT_WINDOW_SECONDS", 1)
    assert [push("hotline-a", SECRET_A, f"GD-A-{i}").status_code for i in range(3)] == [201, 201, 429]
    time.sleep(1.1)
    assert push("hotline-a", SECRET_A, "GD-A-3").status_code == 201
    assert push("hotline-a", SECRET_A, "GD-A-0").status_code == 200  # the same order again: the existing case
