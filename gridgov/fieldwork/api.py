"""Patrols API: GPS ingest, patrol sessions, daily summaries, track replay, schedules and who missed them, anomalies."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from gridgov.common.errors import PermissionDenied
from gridgov.fieldwork import selectors, services
from gridgov.fieldwork.choices import PatrolKind
from gridgov.fieldwork.models import ANOMALY_VIEW_ROLES, PATROL_ROLES, SUPERVISOR_ROLES

router = Router(tags=["patrols"])
READER_ROLES = PATROL_ROLES | SUPERVISOR_ROLES


class PointsIn(Schema):
    points: list[Any] = Field(..., description='Up to 1,000 points: {"t": ISO 8601 with offset or epoch ms, "lon", '
                                               '"lat", "accuracy"?}; any order; re-sending is harmless')
    session: str | None = Field(None, max_length=64, description="The patrol's client key (optional)")


class SessionIn(Schema):
    client_key: str = Field(..., min_length=1, max_length=64)
    kind: PatrolKind = PatrolKind.DAILY
    started_at: dt.datetime | None = None
    note: str = Field("", max_length=200)


class SessionEndIn(Schema):
    ended_at: dt.datetime | None = None


class ReviewIn(Schema):
    decision: str = Field(..., description="confirm or dismiss")
    note: str = Field(..., max_length=300)


def _reader(user):
    if user.role not in READER_ROLES:
        raise PermissionDenied(_("Your role does not see patrols."))


def _anomaly_reader(user):
    if user.role not in ANOMALY_VIEW_ROLES:
        raise PermissionDenied(_("Your role does not see anomalies."))


def session_out(s) -> dict:
    return {"id": s.pk, "worker": s.worker_id, "kind": s.kind, "client_key": s.client_key,
            "started_at": s.started_at.isoformat(), "ended_at": s.ended_at.isoformat() if s.ended_at else None,
            "note": s.note}


@router.post("/patrols/points", summary="Upload a batch of your GPS points (idempotent, any order)")
def points_ingest(request, payload: PointsIn):
    result = services.patrol_points_ingest(actor=request.user, points=payload.points, session_key=payload.session)
    return result.as_dict()


@router.post("/patrols/sessions", response={201: dict, 200: dict}, summary="Start a patrol (idempotent by client key)")
def session_start(request, payload: SessionIn):
    session, created = services.patrol_session_start(actor=request.user, client_key=payload.client_key,
                                                     kind=payload.kind, started_at=payload.started_at,
                                                     note=payload.note)
    return Status(201 if created else 200, session_out(session))


@router.post("/patrols/sessions/{int:session_id}/end", summary="End your patrol")
def session_end(request, session_id: int, payload: SessionEndIn):
    return session_out(services.patrol_session_end(actor=request.user, session_id=session_id,
                                                   ended_at=payload.ended_at))


@router.get("/patrols/sessions", response=list[dict], summary="Patrols of the workers you may see")
@paginate(PageNumberPagination, page_size=50)
def session_list(request, worker: int | None = None):
    _reader(request.user)
    return [session_out(s) for s in selectors.patrol_sessions(user=request.user, worker_id=worker)]


@router.get("/patrols/days", response=list[dict], summary="Daily patrol summaries (distance, time, coverage)")
@paginate(PageNumberPagination, page_size=50)
def day_list(request, worker: int | None = None, month: str | None = None):
    _reader(request.user)
    month_t = selectors.parse_month(month) if month else None
    return [selectors.summary_out(d) for d in selectors.patrol_days(user=request.user, worker_id=worker,
                                                                     month=month_t)]


@router.get("/patrols/track", summary="A worker's track of a day, for replay")
def track(request, worker: int, day: str):
    _reader(request.user)
    return selectors.track_for_replay(user=request.user, worker_id=worker, day=selectors.parse_day(day))


@router.get("/patrols/schedules", summary="The patrol schedules (日巡查, 月排查, 季度联查)")
def schedule_list(request):
    from gridgov.fieldwork.models import PatrolSchedule

    _reader(request.user)
    return [{"kind": s.kind, "name": s.name, "roles": s.roles, "days_of_month": s.days_of_month,
             "min_minutes": s.min_minutes, "min_coverage": s.min_coverage, "is_active": s.is_active}
            for s in PatrolSchedule.objects.order_by("kind")]


@router.get("/patrols/misses", summary="Who missed which scheduled patrol in a month")
def misses(request, month: str | None = None, only_missed: bool = False):
    _reader(request.user)
    rows = selectors.schedule_misses(user=request.user, month=selectors.parse_month(month))
    return {"month": "%04d-%02d" % selectors.parse_month(month),
            "rows": [r.as_dict() for r in rows if not only_missed or not r.compliant]}


@router.get("/anomalies", response=list[dict], summary="Anomalies in your area (command center)")
@paginate(PageNumberPagination, page_size=50)
def anomaly_list(request, status: str | None = None, kind: str | None = None, month: str | None = None,
                 worker: int | None = None):
    _anomaly_reader(request.user)
    month_t = selectors.parse_month(month) if month else None
    return [selectors.anomaly_out(a) for a in selectors.anomaly_list(user=request.user, status=status, kind=kind,
                                                                     month=month_t, worker_id=worker)]


@router.get("/anomalies/{int:anomaly_id}", summary="One anomaly with its evidence")
def anomaly_detail(request, anomaly_id: int):
    _anomaly_reader(request.user)
    return selectors.anomaly_out(selectors.access_anomaly(request.user, anomaly_id))


@router.post("/anomalies/{int:anomaly_id}/review", summary="Confirm or dismiss an anomaly, with a note")
def anomaly_review(request, anomaly_id: int, payload: ReviewIn):
    _anomaly_reader(request.user)
    anomaly = services.anomaly_review(actor=request.user, anomaly_id=anomaly_id, decision=payload.decision,
                                      note=payload.note)
    return selectors.anomaly_out(anomaly)
