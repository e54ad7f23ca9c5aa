"""The demo district holds visits and disputes (built once per test database by the root conftest)."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.disputes.models import Dispute
from gridgov.visits.models import Visit

pytestmark = pytest.mark.django_db


def test_the_demo_has_visits_overdue_targets_and_disputes_in_every_state(user):
    from gridgov.visits import selectors

    assert Visit.objects.count() > 50
    worker = user("worker_a")
    assert selectors.overdue_for_worker(viewer=worker, worker=worker)  # something to do on the first screen
    statuses = set(Dispute.objects.values_list("status", flat=True))
    assert {"registered", "mediating", "settled", "closed"} <= statuses
    assert Dispute.objects.filter(registered_by=worker).exists()
    for d in Dispute.objects.exclude(settled_at=None):
        assert d.registered_at <= d.settled_at
    for d in Dispute.objects.all():
        assert d.number == f"JF{timezone.localtime(d.registered_at):%Y%m%d}{d.pk:08d}"
        assert d.registered_at <= timezone.now() - dt.timedelta(hours=1)
        steps = list(d.transitions.order_by("id").values_list("at", flat=True))
        assert steps == sorted(steps) and steps[0] >= d.registered_at  # one move after another, in time
        if not d.client_key.startswith("demo-quick-"):  # (the planted quick mediations: see below)
            assert len(steps) == 1 or steps[-1] - steps[0] > dt.timedelta(minutes=30)  # not all within an hour
    escalated = Dispute.objects.filter(status="escalated").select_related("event")
    assert escalated.count() == 2  # the grid could not settle them: their cases took over
    for d in escalated:
        assert d.event.external_id == d.number and d.event.category.code.startswith("04")
        assert d.event.reported_at > d.registered_at
    quick = Dispute.objects.filter(client_key__startswith="demo-quick-")
    assert quick.count() == 5 and quick.values("mediator").distinct().count() == 1
    from gridgov.fieldwork.models import Anomaly

    assert Anomaly.objects.filter(kind="quick_mediation", worker=quick[0].mediator).exists()  # … and flagged
