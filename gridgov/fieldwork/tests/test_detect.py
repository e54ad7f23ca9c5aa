"""Detection from the database: the demo's planted anomalies are found, re-running changes nothing twice, reviewed
ones stay reviewed; month-end bursts of reports and quick mediations are found from the records."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridgov.fieldwork.detect import anomalies_detect
from gridgov.fieldwork.models import Anomaly
from gridgov.fieldwork.services import patrol_day_compute
from gridgov.fieldwork.tests.conftest import line, local, store

pytestmark = pytest.mark.django_db


def test_the_demo_plants_one_of_each_track_anomaly(user):
    kinds = {(a.kind, a.worker.username) for a in Anomaly.objects.select_related("worker")}
    assert {("copied_track", "worker_a"), ("no_movement", "worker_a"), ("impossible_speed", "worker_b")} <= kinds
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    assert copied.evidence["similarity"] >= 0.9 and copied.region_path == user("worker_a").grids.get().path


def test_detection_is_idempotent_and_keeps_reviews(user):
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    Anomaly.objects.filter(pk=copied.pk).update(status="dismissed", review_note="补录", evidence={"kept": True})
    before = Anomaly.objects.count()
    anomalies_detect(day=copied.day)
    anomalies_detect(day=copied.day)
    assert Anomaly.objects.count() == before
    copied.refresh_from_db()
    assert copied.status == "dismissed" and copied.evidence == {"kept": True}


def test_outside_grid_is_detected_from_the_summary(user):
    worker, grid_b = user("worker_a"), user("worker_b").grids.get()
    day = dt.date(2026, 2, 3)
    store(worker, line(local(day, 9), lon=grid_b.centroid_lon, lat=grid_b.centroid_lat, n=61, step_s=60,
                       east_m=25))
    patrol_day_compute(worker=worker, day=day)
    anomalies_detect(day=day)
    found = Anomaly.objects.get(worker=worker, day=day, kind="outside_grid")
    assert found.evidence["outside_share"] == 1.0


def test_a_normal_day_has_no_anomaly(user):
    worker = user("worker_a")
    grid = worker.grids.get()
    day = dt.date(2026, 2, 4)
    store(worker, line(local(day, 9), lon=grid.centroid_lon - 0.004, lat=grid.centroid_lat, n=61, step_s=60,
                       east_m=25))
    patrol_day_compute(worker=worker, day=day)
    assert anomalies_detect(day=day) == {}
    assert not Anomaly.objects.filter(day=day).exists()


def _events(reporter, times):
    from gridgov.accounts.models import User
    from gridgov.events.models import Event
    from gridgov.events.services import Report, event_report

    dispatcher = User.objects.get(username="street_dispatcher")
    grid = reporter.grids.get()
    ids = []
    for i, _t in enumerate(times):
        ids.append(event_report(actor=dispatcher, report=Report(
            category_code="0401", description=f"月底集中上报 {i}", lon=grid.centroid_lon + i * 0.002,
            lat=grid.centroid_lat, channel="dispatcher")).pk)
    for pk, t in zip(ids, times):
        Event.objects.filter(pk=pk).update(reporter=reporter, reported_at=t)


def test_month_end_burst_of_reports(user):
    worker = user("worker_b")
    late = [local(dt.date(2026, 3, 29 + i % 3), 10, i) for i in range(10)]
    _events(worker, [local(dt.date(2026, 3, 5), 9), local(dt.date(2026, 3, 12), 9)] + late)
    counts = anomalies_detect(month=(2026, 3))
    assert counts.get("month_end_burst") == 1
    found = Anomaly.objects.get(kind="month_end_burst", worker=worker)
    assert found.day == dt.date(2026, 3, 31) and found.evidence["events"]["in_last_days"] == 10


def test_reports_spread_over_the_month_are_no_burst(user):
    worker = user("worker_b")
    _events(worker, [local(dt.date(2026, 3, 1 + 3 * i), 10) for i in range(10)] + [local(dt.date(2026, 3, 31), 9)])
    anomalies_detect(month=(2026, 3))
    assert not Anomaly.objects.filter(kind="month_end_burst", worker=worker).exists()


def _disputes(mediator, settled_times):
    from gridgov.disputes.models import Dispute

    grid = mediator.grids.first() or mediator.region
    for i, t in enumerate(settled_times):
        Dispute.objects.create(number=f"TJ-T-{mediator.pk}-{i}", kind="neighbour", summary="邻里纠纷", grid=grid,
                               region_path=grid.path, registered_at=t - dt.timedelta(minutes=10),
                               registered_by=mediator, mediator=mediator, settled_at=t, status="settled")


def test_a_dozen_disputes_settled_within_an_hour(user):
    mediator = user("gridleader")
    t0 = local(dt.date(2026, 3, 20), 15)
    _disputes(mediator, [t0 + dt.timedelta(minutes=4 * i) for i in range(12)])
    anomalies_detect(day=dt.date(2026, 3, 20))
    found = Anomaly.objects.get(kind="quick_mediation", worker=mediator)
    assert found.evidence["disputes"] == 12 and found.day == dt.date(2026, 3, 20)


def test_disputes_settled_through_the_day_are_fine(user):
    mediator = user("gridleader")
    t0 = local(dt.date(2026, 3, 21), 8)
    _disputes(mediator, [t0 + dt.timedelta(minutes=45 * i) for i in range(12)])
    anomalies_detect(day=dt.date(2026, 3, 21))
    assert not Anomaly.objects.filter(kind="quick_mediation", worker=mediator).exists()


def test_the_command(capsys):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    call_command("anomalies_detect", "--day", yesterday.isoformat())
    assert "anomalies found" in capsys.readouterr().out
    call_command("patrol_summarize", "--day", yesterday.isoformat(), "--worker", "worker_a")
    assert "patrol days recomputed: 1" in capsys.readouterr().out
