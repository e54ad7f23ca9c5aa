"""Patrols API: GPS ingest, patrol sessions, daily summaries, track replay, schedules and who missed them, anomalies."""

from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from gridgov.common.api_errors import responses
from gridgov.common.api_types import DateTime, Id, Page, Version
from gridgov.common.errors import PermissionDenied
from gridgov.fieldwork import selectors, services
from gridgov.fieldwork.choices import PatrolKind
from gridgov.fieldwork.models import ANOMALY_VIEW_ROLES, PATROL_ROLES, SUPERVISOR_ROLES
from gridgov.fieldwork.services import MAX_BATCH

router = Router(tags=["patrols"])
READER_ROLES = PATROL_ROLES | SUPERVISOR_ROLES
Month = Annotated[str, Field(max_length=7, description="2026-05")]
Short = Annotated[str, Field(max_length=32)]


class PointsIn(Schema):
    points: list[Any] = Field(..., max_length=MAX_BATCH, description='Up to 1,000 points: {"t": ISO 8601 with offset or epoch ms, "lon", '
                                               '"lat", "accuracy"?}; any order; re-sending is harmless')
    session: str | None = Field(None, max_length=64, description="The patrol's client key (optional)")


class SessionIn(Schema):
    client_key: str = Field(..., min_length=1, max_length=64)
    kind: PatrolKind = PatrolKind.DAILY
    started_at: DateTime | None = None
    note: str = Field("", max_length=200)


class SessionEndIn(Schema):
    ended_at: DateTime | None = None


class ReviewIn(Schema):
    decision: str = Field(..., max_length=16, description="confirm or dismiss")
    note: str = Field(..., max_length=300)
    version: Version | None = None


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


@router.post("/patrols/points", response=responses(dict), summary="Upload a batch of your GPS points (idempotent, any order)")
def points_ingest(request, payload: PointsIn):
    result = services.patrol_points_ingest(actor=request.user, points=payload.points, session_key=payload.session)
    return result.as_dict()


@router.post("/patrols/sessions", response=responses({201: dict, 200: dict}),
             summary="Start a patrol (idempotent by client key)")
def session_start(request, payload: SessionIn):
    session, created = services.patrol_session_start(actor=request.user, client_key=payload.client_key,
                                                     kind=payload.kind, started_at=payload.started_at,
                                                     note=payload.note)
    return Status(201 if created else 200, session_out(session))


@router.post("/patrols/sessions/{int:session_id}/end", response=responses(dict, not_found=True),
             summary="End your patrol")
def session_end(request, session_id: Id, payload: SessionEndIn):
    return session_out(services.patrol_session_end(actor=request.user, session_id=session_id,
                                                   ended_at=payload.ended_at))


@router.get("/patrols/sessions", response=responses(list[dict], not_found=True),
            summary="Patrols of the workers you may see")
@paginate(Page, page_size=50)
def session_list(request, worker: Id | None = None):
    _reader(request.user)
    return [session_out(s) for s in selectors.patrol_sessions(user=request.user, worker_id=worker)]


@router.get("/patrols/days", response=responses(list[dict], not_found=True),
            summary="Daily patrol summaries (distance, time, coverage)")
@paginate(Page, page_size=50)
def day_list(request, worker: Id | None = None, month: Month | None = None):
    _reader(request.user)
    month_t = selectors.parse_month(month) if month else None
    return [selectors.summary_out(d) for d in selectors.patrol_days(user=request.user, worker_id=worker,
                                                                     month=month_t)]


@router.get("/patrols/track", response=responses(dict, not_found=True), summary="A worker's track of a day, for replay")
def track(request, worker: Id, day: Annotated[str, Field(max_length=10, description="2026-01-31")]):
    _reader(request.user)
    return selectors.track_for_replay(user=request.user, worker_id=worker, day=selectors.parse_day(day))


@router.get("/patrols/schedules", response=responses(list[dict], invalid=False), summary="The patrol schedules (日巡查, 月排查, 季度联查)")
def schedule_list(request):
    from gridgov.fieldwork.models import PatrolSchedule

    _reader(request.user)
    return [{"kind": s.kind, "name": s.name, "roles": s.roles, "days_of_month": s.days_of_month,
             "min_minutes": s.min_minutes, "min_coverage": s.min_coverage, "is_active": s.is_active}
            for s in PatrolSchedule.objects.order_by("kind")]


@router.get("/patrols/misses", response=responses(dict), summary="Who missed which scheduled patrol in a month")
def misses(request, month: Month | None = None, only_missed: bool = False):
    _reader(request.user)
    rows = selectors.schedule_misses(user=request.user, month=selectors.parse_month(month))
    return {"month": "%04d-%02d" % selectors.parse_month(month),
            "rows": [r.as_dict() for r in rows if not only_missed or not r.compliant]}


@router.get("/anomalies", response=responses(list[dict]), summary="Anomalies in your area (command center)")
@paginate(Page, page_size=50)
def anomaly_list(request, status: Short | None = None, kind: Short | None = None, month: Month | None = None,
                 worker: Id | None = None):
    _anomaly_reader(request.user)
    month_t = selectors.parse_month(month) if month else None
    return [selectors.anomaly_out(a) for a in selectors.anomaly_list(user=request.user, status=status, kind=kind,
                                                                     month=month_t, worker_id=worker)]


@router.get("/anomalies/{int:anomaly_id}", response=responses(dict, not_found=True),
            summary="One anomaly with its evidence")
def anomaly_detail(request, anomaly_id: Id):
    _anomaly_reader(request.user)
    return selectors.anomaly_out(selectors.access_anomaly(request.user, anomaly_id))


@router.post("/anomalies/{int:anomaly_id}/review", response=responses(dict, not_found=True, conflict=True),
             summary="Confirm or dismiss an anomaly, with a note")
def anomaly_review(request, anomaly_id: Id, payload: ReviewIn):
    _anomaly_reader(request.user)
    anomaly = services.anomaly_review(actor=request.user, anomaly_id=anomaly_id, decision=payload.decision,
                                      note=payload.note, version=payload.version)
    return selectors.anomaly_out(anomaly)
