"""The demo's three months of cases (gridgov/events/demo.py), as built once per test database by the root conftest:
every channel and status, every persona with work waiting, a timeline that follows the workflow in time order,
reports inside their grid, and the same history again from the same seed and moment."""

import datetime as dt

import pytest
import shapely
from django.db.models import F
from django.utils import timezone

from gridgov.accounts.models import Department, User
from gridgov.events.choices import Channel, Status
from gridgov.events.models import Assignment, Event, Transition
from gridgov.events.selectors import queue_counts
from gridgov.regions.geometry import load

pytestmark = pytest.mark.django_db


def test_every_channel_and_every_status(db):
    channels = set(Event.objects.values_list("channel", flat=True))
    assert {Channel.WORKER, Channel.CITIZEN, Channel.HOTLINE, Channel.POLICE_110, Channel.LEADER,
            Channel.OPEN311} <= channels
    assert set(Event.objects.values_list("status", flat=True)) == set(Status.values)
    assert 200 <= Event.objects.count() <= 800  # a few hundred: the suite builds it once per process


def test_the_kinds_of_life_a_case_can_have(db):
    cases = Event.objects.all()
    moves = set(Transition.objects.values_list("action", flat=True))
    assert {"auto_dispatch", "accept", "register", "dispatch", "reject", "return", "sign", "sign_part",
            "report_part", "request_extension", "approve_extension", "supervise", "escalate", "feedback",
            "rework", "verify", "rate", "reopen", "close_unsatisfied", "archive", "cancel", "self_resolve"} <= moves
    assert cases.filter(auto_dispatched=True).exists()
    assert Transition.objects.filter(action="dispatch", actor__isnull=False).exists()  # dispatched by hand
    duplicates = cases.filter(reject_reason="duplicate")
    assert duplicates.exists() and not duplicates.filter(duplicate_of=None).exists()
    refused = Transition.objects.filter(action="reject", actor__isnull=False)
    assert refused.exists() and not refused.filter(reason="").exists()  # refused by a dispatcher, with a reason
    assert {"invalid", "out_of_scope"} <= set(cases.values_list("reject_reason", flat=True))
    assert cases.filter(self_resolved=True, status__in=[Status.CLOSED, Status.ARCHIVED]).exists()
    assert cases.filter(rework_count__gt=0).exists() and cases.filter(return_count__gt=0).exists()
    assert cases.filter(extension_count__gt=0).exists() and cases.filter(supervised=True).exists()
    assert cases.filter(handling_region__level="street").exists()  # escalated grid → village → street
    assert {"satisfied", "basic", "unsatisfied"} <= set(cases.values_list("satisfaction", flat=True))
    joint = Assignment.objects.filter(is_lead=False, reported_at__isnull=False).exclude(report="")
    assert joint.exists()  # an assisting department reported on its own part
    now = timezone.now()
    assert cases.filter(status__in=[Status.DISPATCHED, Status.HANDLING], deadline__lt=now).exists()  # overdue
    closed = cases.filter(closed_at__isnull=False, deadline__isnull=False)
    assert closed.filter(closed_at__lte=F("deadline")).exists() and closed.filter(closed_at__gt=F("deadline")).exists()


def test_every_persona_has_work_waiting(user):
    from gridgov.events.demo import EXPIRING, expiring_start

    expected = {
        "dispatcher": ["to_accept", "to_dispatch", "returned", "expiring", "overdue", "supervised", "to_rate",
                       "unsatisfied", "open"],
        "street_dispatcher": ["to_accept", "to_dispatch", "returned", "overdue", "to_rate", "unsatisfied"],
        "community": ["to_accept", "to_verify", "unsatisfied", "open"],
        "gridleader": ["to_verify", "open"],
        "worker_a": ["to_verify", "mine", "open"],
        "worker_b": ["to_verify", "mine"],
        "police": ["to_sign", "handling", "overdue", "supervised"],
        "hotline": ["to_sign", "handling"],
        "leader": ["open", "overdue", "supervised"],
    }
    if expiring_start(EXPIRING, timezone.now() - dt.timedelta(minutes=5)) is None:
        expected["dispatcher"].remove("expiring")  # just before a week-long holiday no case can be about to expire
    empty = {name: [q for q in queues if not queue_counts(user=user(name))[q]] for name, queues in expected.items()}
    assert empty == {name: [] for name in expected}
    worker_a = user("worker_a")
    assert Event.objects.filter(reporter=worker_a, status__in=[Status.DISPATCHED, Status.HANDLING]).exists()


def test_the_timeline_follows_the_workflow_in_time_order(db):
    now = timezone.now()
    start = now - dt.timedelta(days=93)
    rows = Transition.objects.order_by("event_id", "at", "id").values_list("event_id", "from_status", "to_status",
                                                                          "at", "action")
    last: dict[int, tuple] = {}
    for event_id, before, after, at, action in rows:
        assert start < at <= now, (event_id, action, at)
        if event_id in last:
            prev_to, prev_at = last[event_id]
            assert before == prev_to, (event_id, action)  # each move starts where the previous one ended
            assert at >= prev_at, (event_id, action)
        else:
            assert action == "report" and before == ""
        last[event_id] = (after, at)
    for event in Event.objects.all():
        assert last[event.pk][0] == event.status, event.number
        assert start < event.reported_at <= now
        assert event.number.startswith(f"SJ{timezone.localtime(event.reported_at):%Y%m%d}")
        times = [event.reported_at, event.dispatched_at, event.handled_at, event.closed_at]
        if event.status != Status.UNSATISFIED and not event.rework_count and not event.return_count:
            known = [t for t in times if t is not None]
            assert known == sorted(known), event.number
    supervisions = Transition.objects.filter(action="supervise").select_related("event")
    assert supervisions and all(t.at > t.event.reported_at for t in supervisions)


def test_reports_lie_inside_their_grid_and_workers_report_on_their_patrols(db):
    from gridgov.fieldwork.models import PatrolDay

    shapes = {}
    for event in Event.objects.select_related("grid", "reporter"):
        if event.grid_id not in shapes:
            shapes[event.grid_id] = load(event.grid.geometry)
        assert shapely.contains_xy(shapes[event.grid_id], event.lon, event.lat), event.number
        assert event.region_path == event.grid.path
    patrols = {(p.worker_id, p.day): p for p in PatrolDay.objects.all()}
    reports = Event.objects.filter(channel=Channel.WORKER).exclude(external_id__startswith="JF")  # not disputes
    assert reports.count() > 50
    for event in reports.select_related("reporter"):
        own = [g.path for g in event.reporter.grids.all()]
        assert any(event.region_path.startswith(path) for path in own), event.number
        patrol = patrols.get((event.reporter_id, timezone.localdate(event.reported_at)))
        assert patrol is not None, event.number  # reported on a day the worker patrolled …
        assert patrol.first_at <= event.reported_at <= patrol.last_at + dt.timedelta(minutes=10)  # … while on it


def test_people_and_departments_have_names(db):
    assert not User.objects.filter(full_name="").exists()
    assert not Department.objects.filter(name="").exists()


def _fingerprint() -> list[tuple]:
    return list(Event.objects.order_by("reported_at", "channel", "lon").values_list(
        "reported_at", "channel", "category__code", "status", "grid__code", "lead_department__code", "deadline",
        "closed_at", "satisfaction", "lon", "lat"))


def test_the_same_seed_and_moment_give_the_same_history(db):
    from gridgov.events.demo import History, events_demo_build

    now = timezone.now() - dt.timedelta(hours=1)

    def plan():
        return [(s.at, s.channel, s.code, s.grid.code, s.lon, s.lat, s.text, s.fate) for s in
                History(scale="small", seed=7, now=now, patrols=None, intakes=None).plan()]

    assert plan() == plan()
    runs = []
    for _ in range(2):
        Event.objects.all().delete()
        counts = events_demo_build(scale="small", seed=7, now=now, days=6)
        runs.append((counts, _fingerprint()))
    assert runs[0] == runs[1] and len(runs[0][1]) > 10


@pytest.mark.parametrize("moment", ["2027-03-01T00:30", "2026-12-31T23:30"])
def test_the_history_builds_at_a_months_first_minutes_and_a_years_last(db, user, moment):
    """Whatever today is (make test-dates runs the whole suite at these moments too): a week of history up to a
    month's first half hour (still the month before in UTC) and a year's last, every step before it."""
    import time_machine

    from gridgov.events.demo import events_demo_build
    from gridgov.testing.clock import parse_clock

    at = parse_clock(moment)
    Event.objects.all().delete()
    with time_machine.travel(at.timestamp(), tick=False):
        events_demo_build(scale="small", seed=3, now=at, days=7)
        assert Transition.objects.exists() and not Transition.objects.filter(at__gt=at).exists()
        assert queue_counts(user=user("street_dispatcher"))["to_accept"] and queue_counts(user=user("police"))[
            "to_sign"]
        for event in Event.objects.all():
            assert event.reported_at < at and event.number[2:10] <= f"{at:%Y%m%d}"
            assert event.number[2:10] == f"{timezone.localtime(event.reported_at):%Y%m%d}"
