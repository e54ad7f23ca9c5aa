"""A set of cases in every queue a home page counts, made through the services (intake and the one gatekeeper),
for the home-page tests and to look at the pages on a local database (``python -m gridgov.web.tests.home_cases``
with DATABASE_URL set: it commits).

All in worker_a's grid (the first street, the first community) unless said otherwise:

    mine        worker_a's 0301, auto-dispatched to the street's 环卫办 (sanitation), not signed
    handled     worker_a's 0301, signed and handled by sanitation: to verify
    returned    worker_a's 0301, returned by sanitation: waits for the street dispatcher
    extension   worker_a's 0301, signed by sanitation, which asks for more time
    overdue     worker_a's 0301, dispatched, deadline an hour ago
    expiring    worker_a's 0301, dispatched, warning time passed, deadline tomorrow
    unsatisfied worker_a's 0301, handled, verified, rated unsatisfied by the street dispatcher
    rated       worker_a's 0301, closed and rated satisfied (not open any more)
    to_accept   the street dispatcher's 110 referral of a category no rule routes: waits in 待受理
    to_community like to_accept, escalated once by the community: to the community
    escalated   like to_accept, escalated twice by the community: to the community, then to the street
    police      the street dispatcher's 0401 (a dispute), auto-dispatched to the street's 综治办 (stability) with
                the police station (派出所) assisting
    supervised  the street dispatcher's 110 referral, accepted, registered, dispatched by hand to the police station
                and supervised by the leader
    elsewhere   worker_b's 0301 in grid B (another community of the same street): worker_a, the grid leader and
                the community do not see it, the street dispatcher does
"""

import datetime as dt

from django.utils import timezone

PHOTO = {"photo_count": 1}


def _dept(grid, kind):
    from gridgov.accounts.models import Department

    street_code = grid.path.strip("/").split("/")[1]
    return Department.objects.get(region__code=street_code, kind=kind)


def _handler(dept):
    from gridgov.accounts.models import User

    return User.objects.filter(department=dept, role="dept_handler", is_active=True).order_by("pk").first()


def sanitation_handler():
    """The handler of the 环卫办 (sanitation office) of worker_a's street: the lead of worker_a's 0301 reports."""
    from gridgov.accounts.models import User

    return _handler(_dept(User.objects.get(username="worker_a").grids.get(), "sanitation"))


def build_home_cases() -> dict:
    """Make the cases (the caller turns off duplicate linking: GRIDGOV_DUPLICATE_WINDOW_HOURS = 0)."""
    from gridgov.accounts.models import User
    from gridgov.events.models import Category, Event
    from gridgov.events.routing import directory
    from gridgov.events.services import Report, event_report, event_transition

    users = {u.username: u for u in User.objects.filter(username__in=[
        "worker_a", "worker_b", "street_dispatcher", "community", "leader", "police"])}
    worker, dispatcher, community = users["worker_a"], users["street_dispatcher"], users["community"]
    grid_a, grid_b = worker.grids.get(), users["worker_b"].grids.get()
    sanitation = _dept(grid_a, "sanitation")
    hs = _handler(sanitation)
    if not Category.objects.filter(code="9901").exists():  # no routing rule: a dispatcher decides
        Category.objects.create(code="9901", name="待受理测试", level="subclass",
                                parent=Category.objects.get(code="04"), photo_required_report=False)
        directory.invalidate()

    def report(actor, code="0301", grid=grid_a, **extra):
        return event_report(actor=actor, report=Report(category_code=code, description=f"首页测试 {code}",
                                                       lon=grid.centroid_lon, lat=grid.centroid_lat,
                                                       photo_count=1, **extra))

    def move(actor, event, action, reason="", **data):
        return event_transition(actor=actor, event_id=event.pk, action=action, version=None, reason=reason,
                                data=data)

    c = {}
    c["mine"] = report(worker)
    c["handled"] = report(worker)
    move(hs, c["handled"], "sign")
    move(hs, c["handled"], "feedback", "已清运", **PHOTO)
    c["returned"] = report(worker)
    move(hs, c["returned"], "return", "不属于本单位")
    c["extension"] = report(worker)
    move(hs, c["extension"], "sign")
    move(hs, c["extension"], "request_extension", "需协调清运车辆")
    now = timezone.now()
    c["overdue"] = report(worker)
    Event.objects.filter(pk=c["overdue"].pk).update(deadline=now - dt.timedelta(hours=1),
                                                    warn_at=now - dt.timedelta(hours=3))
    c["expiring"] = report(worker)
    Event.objects.filter(pk=c["expiring"].pk).update(deadline=now + dt.timedelta(days=1),
                                                     warn_at=now - dt.timedelta(hours=1))
    c["unsatisfied"] = report(worker)
    move(hs, c["unsatisfied"], "feedback", "已清运", **PHOTO)
    move(worker, c["unsatisfied"], "verify")
    move(dispatcher, c["unsatisfied"], "rate", satisfaction="unsatisfied", comment="还有垃圾")
    c["rated"] = report(worker)
    move(hs, c["rated"], "feedback", "已清运", **PHOTO)
    move(worker, c["rated"], "verify")
    move(dispatcher, c["rated"], "rate", satisfaction="satisfied")
    c["to_accept"] = report(dispatcher, "9901", channel="police_110")
    c["to_community"] = report(dispatcher, "9901", channel="police_110")
    move(community, c["to_community"], "escalate", "村里解决不了")
    c["escalated"] = report(dispatcher, "9901", channel="police_110")
    move(community, c["escalated"], "escalate", "村里解决不了")
    move(community, c["escalated"], "escalate", "需街道协调")
    police = users["police"].department
    c["police"] = report(dispatcher, "0401", channel="police_110")
    c["supervised"] = report(dispatcher, "9901", channel="police_110")
    move(dispatcher, c["supervised"], "accept")
    move(dispatcher, c["supervised"], "register")
    move(dispatcher, c["supervised"], "dispatch", lead_department=police.pk)
    move(users["leader"], c["supervised"], "supervise", "请加快办理")
    c["elsewhere"] = report(users["worker_b"], grid=grid_b)
    return {k: Event.objects.get(pk=e.pk) for k, e in c.items()}


if __name__ == "__main__":  # a local database, to look at the pages: commits
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.db import transaction

    settings.GRIDGOV_DUPLICATE_WINDOW_HOURS = 0
    with transaction.atomic():
        made = build_home_cases()
    import sys

    for key, event in made.items():
        sys.stdout.write(f"{key:13} {event.number} {event.status}\n")
