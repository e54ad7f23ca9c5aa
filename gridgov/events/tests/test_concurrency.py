"""Two handlers act on the same case at the same moment: exactly one wins, the other gets 409 (real threads,
real transactions, on SQLite and PostgreSQL)."""

import threading

import pytest
from django.db import connection

from gridgov.accounts.models import User
from gridgov.common.errors import Conflict
from gridgov.events.models import Event, Transition


@pytest.fixture
def committed_demo(transactional_db):
    from gridgov.demo import demo_build
    from gridgov.regions.index import geo_index
    from gridgov.regions.models import Region

    if not Region.objects.exists():
        demo_build(scale="small", history=False)  # rebuilt after every flush: without the months of cases
    geo_index.invalidate()


def test_concurrent_moves_one_wins_the_other_gets_409(committed_demo):
    from gridgov.events.services import Report, event_report, event_transition

    dispatcher = User.objects.get(username="street_dispatcher")
    grid = User.objects.get(username="worker_a").grids.get()
    event = event_report(actor=dispatcher, report=Report(
        category_code="0401", description="邻里纠纷", lon=grid.centroid_lon, lat=grid.centroid_lat,
        channel="dispatcher"))
    assert event.status == "dispatched"
    version = event.version
    barrier = threading.Barrier(2)
    outcomes = []

    def move(action, reason):
        try:
            barrier.wait(timeout=10)
            event_transition(actor=User.objects.get(username="street_dispatcher"), event_id=event.pk, action=action,
                             version=version, reason=reason)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=("supervise", "督办")),
               threading.Thread(target=move, args=("cancel", "撤销"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["409", "ok"]
    event.refresh_from_db()
    assert event.version == version + 1
    assert Transition.objects.filter(event=event, action__in=["supervise", "cancel"]).count() == 1
    assert Event.objects.filter(pk=event.pk).count() == 1
