"""The demo district holds visits and disputes (built once per test database by the root conftest)."""

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
    assert not Dispute.objects.filter(status="escalated").exists()
