"""12345 hotline: signed pushes create (or find) a case; results go back through the outbox to the hotline's
callback URL, signed, at least once, with a stable dedupe id. The hotline's side is a tiny HTTP server on
127.0.0.1 (loopback only)."""

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import signal
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from gridgov.accounts.models import User
from gridgov.common.models import AuditLog, OutboxMessage
from gridgov.common.outbox import outbox_claim, outbox_deliver_once
from gridgov.common.tests.worker_process import start_worker
from gridgov.events.choices import Status
from gridgov.events.models import Event, HotlineClient, HotlineOrder, Transition
from gridgov.events.tests.conftest import point_in

SECRET = "k3y-for-tests-only-0123456789abcdef0123"
URL = "/api/v1/hotline/orders"


# --- the hotline's side: a callback endpoint on loopback --------------------------------------------------------
class LocalServer:
    """Records every POST (headers, body); answers ``status`` with ``reply`` as the body."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 200
        self.reply = b'{"errcode":0}'
        self.hold = threading.Event()  # set → the next request waits for ``release`` before answering
        self.release = threading.Event()
        self.arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                server.arrived.set()
                if server.hold.is_set():
                    server.release.wait(timeout=60)
                try:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(server.reply)
                except OSError:
                    pass  # the caller is gone (killed)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.close()


@pytest.fixture
def hotline(db, server):
    return HotlineClient.objects.create(name="区12345热线", client_id="hotline-district", secret=SECRET,
                                        callback_url=server.url)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}\n".encode() + body, hashlib.sha256).hexdigest()


def order_body(grid, order_no="GD20260601001", **extra) -> dict:
    lon, lat = point_in(grid)
    return {"order_no": order_no, "category": "0301", "description": "小区门口垃圾堆积三天无人清运",
            "lon": lon, "lat": lat, "address": "幸福路 8 号", "citizen_name": "张三", "citizen_phone": "13912345678",
            "occurred_at": "2026-06-01T09:30:00+08:00", **extra}


def push(body, *, client_id="hotline-district", secret=SECRET, timestamp=None, signature=None, omit=(),
         http=None, raw: bytes | None = None):
    raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    headers = {"HTTP_X_HOTLINE_CLIENT": client_id, "HTTP_X_HOTLINE_TIMESTAMP": timestamp,
               "HTTP_X_HOTLINE_SIGNATURE": signature or sign(secret, timestamp, raw)}
    for name in omit:
        headers.pop(f"HTTP_X_HOTLINE_{name.upper()}")
    http = http or Client(enforce_csrf_checks=True)  # no session, no CSRF token: the signature is enough
    return http.post(URL, data=raw, content_type="application/json", **headers)


def counts():
    return (Event.objects.count(), HotlineOrder.objects.count(), OutboxMessage.objects.count(),
            Transition.objects.count())


def verify_callback(headers: dict, body: bytes):
    assert headers["x-hotline-client"] == "hotline-district"
    stamp = headers["x-hotline-timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    assert hmac.compare_digest(headers["x-hotline-signature"], sign(SECRET, stamp, body))
    assert headers["content-type"].startswith("application/json")


# --- pushes ----------------------------------------------------------------------------------------------------------
def test_a_signed_order_creates_a_routed_case(hotline, grid_a):
    response = push(order_body(grid_a))
    assert response.status_code == 201, response.content
    body = response.json()
    event = Event.objects.get(number=body["case_number"])
    assert (event.channel, event.external_id) == ("hotline", "GD20260601001")
    assert event.grid.path.startswith(grid_a.path)
    assert body["status"] == event.status == "dispatched"
    assert body["lead_department"] == event.lead_department.name and "环卫" in body["lead_department"]
    assert dt.datetime.fromisoformat(body["deadline"]) == event.deadline
    assert set(body) == {"case_number", "status", "status_label", "lead_department", "deadline"}
    assert event.reporter_phone == "13912345678" and "13912345678" not in response.content.decode()
    assert event.occurred_at == dt.datetime(2026, 6, 1, 1, 30, tzinfo=dt.UTC)
    assert HotlineOrder.objects.get(event=event).client == hotline
    assert AuditLog.objects.filter(action="hotline.order", object_id=str(event.pk),
                                   detail__client="hotline-district").exists()


def test_the_same_order_number_returns_the_same_case(hotline, grid_a):
    first = push(order_body(grid_a))
    again = push(order_body(grid_a, description="重复推送"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case_number"] == first.json()["case_number"]
    assert Event.objects.filter(channel="hotline", external_id="GD20260601001").count() == 1
    assert HotlineOrder.objects.filter(client=hotline).count() == 1


def test_another_clients_order_number_is_a_conflict(hotline, grid_a):
    HotlineClient.objects.create(name="市12345", client_id="hotline-city", secret="other-" + SECRET)
    assert push(order_body(grid_a)).status_code == 201
    response = push(order_body(grid_a), client_id="hotline-city", secret="other-" + SECRET)
    assert response.status_code == 409 and response.json()["field"] == "order_no"


@pytest.mark.parametrize("case,code", [
    ("bad signature", "bad_signature"),
    ("body changed after signing", "bad_signature"),
    ("wrong secret", "bad_signature"),
    ("no signature header", "unauthenticated"),
    ("no client header", "unauthenticated"),
    ("no timestamp header", "unauthenticated"),
    ("timestamp not a number", "bad_timestamp"),
    ("timestamp too old", "stale_timestamp"),
    ("timestamp in the future", "stale_timestamp"),
    ("unknown client", "bad_signature"),
    ("inactive client", "bad_signature"),
])
def test_unauthenticated_pushes_get_401_and_change_nothing(hotline, grid_a, case, code):
    body = order_body(grid_a)
    raw = json.dumps(body).encode()
    now = int(time.time())
    kwargs = {
        "bad signature": {"signature": "0" * 64},
        "body changed after signing": {"signature": sign(SECRET, str(now), raw), "timestamp": now,
                                       "raw": raw.replace(b"0301", b"0401")},
        "wrong secret": {"secret": "not-the-secret"},
        "no signature header": {"omit": ["signature"]},
        "no client header": {"omit": ["client"]},
        "no timestamp header": {"omit": ["timestamp"]},
        "timestamp not a number": {"timestamp": "yesterday"},
        "timestamp too old": {"timestamp": now - 400},
        "timestamp in the future": {"timestamp": now + 400},
        "unknown client": {"client_id": "somebody-else"},
        "inactive client": {},
    }[case]
    if case == "inactive client":
        HotlineClient.objects.filter(pk=hotline.pk).update(is_active=False)
    before = counts()
    response = push(body, **kwargs)
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code and response.json()["message"]
    assert counts() == before
    assert AuditLog.objects.filter(action="hotline.auth", outcome="denied", detail__reason=code).exists()


def test_a_timestamp_within_the_allowed_skew_is_accepted(hotline, grid_a):
    assert push(order_body(grid_a), timestamp=int(time.time()) - 270).status_code == 201


def test_a_staff_session_is_no_substitute_for_the_signature(hotline, grid_a, as_user):
    before = counts()
    response = push(order_body(grid_a), omit=["signature"], http=as_user("street_dispatcher"))
    assert response.status_code == 401 and counts() == before


@pytest.mark.parametrize("override,field,code", [
    ({"lon": None, "lat": None}, "lon", "no_location"),
    ({"lat": None}, "lat", "no_location"),
    ({"lon": 100.0, "lat": 20.0}, "lon", "outside"),
    ({"category": "9999"}, "category", None),
    ({"description": ""}, "description", None),
    ({"order_no": ""}, "order_no", None),
])
def test_bad_orders_are_refused_with_the_field(hotline, grid_a, override, field, code):
    body = {k: v for k, v in {**order_body(grid_a), **override}.items() if v is not None}
    before = counts()
    response = push(body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    if code:
        assert response.json()["code"] == code
    assert counts() == before


# --- callbacks -------------------------------------------------------------------------------------------------------
def test_every_move_is_called_back_signed_with_its_transition_as_dedupe_id(hotline, grid_a, server):
    event = Event.objects.get(number=push(order_body(grid_a)).json()["case_number"])
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    from gridgov.events.services import event_transition

    event_transition(actor=handler, event_id=event.pk, action="sign", version=None)
    queued = OutboxMessage.objects.filter(topic="hotline.callback", payload__event_id=event.pk).order_by("id")
    assert [m.payload["status"] for m in queued] == ["reported", "dispatched", "handling"]

    call_command("worker", "--once", stdout=io.StringIO())
    assert not OutboxMessage.objects.filter(topic="hotline.callback", delivered_at__isnull=True).exists()
    assert len(server.requests) == 3
    for headers, raw in server.requests:
        verify_callback(headers, raw)
    transitions = list(event.transitions.order_by("id"))
    bodies = sorted(server.bodies(), key=lambda b: b["dedupe_id"])
    assert [b["dedupe_id"] for b in bodies] == [t.pk for t in transitions]
    assert [b["status"] for b in bodies] == ["reported", "dispatched", "handling"]
    with translation.override("zh-hans"):  # labels in the platform's language, whatever the worker's locale
        assert [b["status_label"] for b in bodies] == [str(Status(b["status"]).label) for b in bodies]
    assert all(b["order_no"] == "GD20260601001" and b["case_number"] == event.number for b in bodies)
    assert set(bodies[0]) == {"dedupe_id", "order_no", "case_number", "status", "status_label", "reason", "at"}
    assert "13912345678" not in b"".join(raw for _, raw in server.requests).decode()


def test_cases_of_other_channels_are_not_called_back(hotline, grid_a, as_user):
    from gridgov.events.services import Report, event_report

    event = event_report(actor=User.objects.get(username="street_dispatcher"), report=Report(
        category_code="0401", description="纠纷", lon=point_in(grid_a)[0], lat=point_in(grid_a)[1],
        channel="dispatcher"))
    assert OutboxMessage.objects.filter(payload__event_id=event.pk).exists()  # its departments are told …
    assert not OutboxMessage.objects.filter(topic="hotline.callback", payload__event_id=event.pk).exists()  # … only


def test_a_refused_callback_is_retried_until_the_hotline_accepts(hotline, grid_a, server):
    OutboxMessage.objects.all().delete()  # only this order's callbacks: the demo's history left its delivered ones
    push(order_body(grid_a))
    OutboxMessage.objects.exclude(topic="hotline.callback").delete()
    server.status = 503
    outcome = outbox_deliver_once(worker_id="W")
    assert (outcome.delivered, outcome.failed) == (0, 2)
    failed = OutboxMessage.objects.filter(topic="hotline.callback")
    assert {(m.attempts, m.delivered_at) for m in failed} == {(1, None)}
    assert all("503" in m.last_error for m in failed)
    assert len(server.requests) == 2

    server.status = 200
    OutboxMessage.objects.update(available_at=timezone.now())
    assert outbox_deliver_once(worker_id="W").delivered == 2
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    assert len(server.requests) == 4  # each callback twice (refused, then accepted), with the same dedupe_id
    assert sorted(Counter(b["dedupe_id"] for b in server.bodies()).values()) == [2, 2]


def test_an_unreachable_hotline_is_a_failure_not_a_loss(hotline, grid_a, server):
    server.close()  # nothing listens on that port any more
    OutboxMessage.objects.all().delete()  # only this order's callbacks: the demo's history left its delivered ones
    push(order_body(grid_a))
    OutboxMessage.objects.exclude(topic="hotline.callback").delete()
    assert outbox_deliver_once(worker_id="W").failed == 2
    assert all(m.last_error and m.delivered_at is None for m in OutboxMessage.objects.filter(topic="hotline.callback"))


def test_a_worker_that_dies_after_posting_is_covered_by_the_next_one(hotline, grid_a, server):
    """Crash simulation: worker A claims and posts the callback, then dies before marking it delivered; after A's
    lease runs out worker B posts it again. The hotline sees it at least once, duplicates with the same dedupe id."""
    from gridgov.events.hotline import hotline_callback_send

    push(order_body(grid_a))
    OutboxMessage.objects.filter(topic="event.assigned").delete()
    claimed = outbox_claim(worker_id="A", batch=1, lease_seconds=60)
    hotline_callback_send(claimed[0].payload)  # … and A is killed here
    assert outbox_deliver_once(worker_id="B", batch=10).claimed == 1  # only the other one: A's lease lives
    OutboxMessage.objects.filter(claimed_by="A").update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert outbox_deliver_once(worker_id="B", batch=10).delivered == 1
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    ids = [b["dedupe_id"] for b in server.bodies()]
    assert ids.count(claimed[0].payload["dedupe_id"]) == 2 and len(set(ids)) == 2
    for headers, raw in server.requests:
        verify_callback(headers, raw)


# --- kill -9 of a real worker process ---------------------------------------------------------------------------------
@pytest.fixture
def committed_demo(transactional_db):
    from gridgov.demo import demo_build
    from gridgov.regions.index import geo_index
    from gridgov.regions.models import Region

    if not Region.objects.exists():
        demo_build(scale="small", history=False)  # rebuilt after every flush: without the months of cases
    geo_index.invalidate()


def test_kill_9_of_the_worker_loses_no_callback(committed_demo, server, tmp_path):
    from gridgov.events.hotline import HotlineOrderIn, hotline_order_receive
    from gridgov.regions.models import Region

    client = HotlineClient.objects.create(name="区12345热线", client_id="hotline-district", secret=SECRET,
                                          callback_url=server.url)
    grids = list(Region.objects.filter(level="grid", status="active").order_by("code")[:4])
    OutboxMessage.objects.all().delete()  # the demo's history (when built with it) left its delivered messages
    for i, grid in enumerate(grids):
        hotline_order_receive(client=client, order=HotlineOrderIn(**order_body(grid, order_no=f"GD-KILL-{i}")))
    OutboxMessage.objects.exclude(topic="hotline.callback").delete()
    expected = set(Transition.objects.filter(event__hotline_order__client=client).values_list("id", flat=True))
    assert len(expected) == OutboxMessage.objects.count() >= 4

    server.hold.set()  # the first callback hangs: the worker is killed while posting it
    log = tmp_path / "worker.log"
    worker = start_worker("doomed", log=log, lease=3, batch=3)  # at the suite's moment under --clock too
    try:
        assert server.arrived.wait(timeout=60), log.read_text() if worker.poll() is not None else ""
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    held = OutboxMessage.objects.filter(claimed_by="doomed", delivered_at__isnull=True).count()
    assert held >= 1  # the killed worker's claim is still on the rows …
    server.hold.clear()
    server.release.set()

    ends = time.monotonic() + 30  # … until its lease runs out and another worker takes over
    while OutboxMessage.objects.filter(delivered_at__isnull=True).exists() and time.monotonic() < ends:
        call_command("worker", "--once", "--worker-id", "survivor", stdout=io.StringIO())
        time.sleep(0.2)
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    received = [b["dedupe_id"] for b in server.bodies()]
    assert set(received) == expected  # every callback arrived at least once
    for dedupe_id in set(received):  # duplicates are identical apart from the signature time
        copies = [b for b in server.bodies() if b["dedupe_id"] == dedupe_id]
        assert all(c == copies[0] for c in copies)
    assert len(received) > len(expected)  # the one the killed worker was posting came twice
