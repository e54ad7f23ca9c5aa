"""Patrols (巡查): raw GPS points in an append-only, time-ordered table; patrol sessions; the daily per-worker
summaries everything else reads; patrol schedules; and the anomalies found in tracks and work records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.common.roles import Role
from gridgov.common.scoping import Scope, ScopedQuerySet
from gridgov.fieldwork.choices import AnomalyKind, AnomalyStatus, PatrolKind

# Grid workers and grid leaders record their own patrols. A grid worker sees their own patrols only; grid leaders,
# community staff, dispatchers and leaders see the workers whose grids lie in their part of the tree. The three
# administrators and department handlers see none. Anomalies are for the command center: grid leaders, community
# staff, dispatchers and leaders in scope see them; community staff and dispatchers review them.
PATROL_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})
SUPERVISOR_ROLES = frozenset({Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER})
ANOMALY_VIEW_ROLES = SUPERVISOR_ROLES
ANOMALY_REVIEW_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.DISPATCHER})

# The accounts whose patrols a user sees (applied to User querysets: ``restrict(…, scope=PATROL_WORKERS)``).
PATROL_WORKERS = Scope(path="grids__path", roles={"view": SUPERVISOR_ROLES}, owner="pk",
                       owner_roles={"view": PATROL_ROLES | SUPERVISOR_ROLES})
# Rows belonging to such a worker (sessions, points, daily summaries).
BY_WORKER = Scope(path="grids__path", via="worker", roles={"view": SUPERVISOR_ROLES}, owner="worker",
                  owner_roles={"view": PATROL_ROLES | SUPERVISOR_ROLES})


class PatrolSession(models.Model):
    """One patrol: started and ended by the worker (or opened implicitly by the first points of the day)."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("worker"), on_delete=models.PROTECT,
                               related_name="patrol_sessions")
    kind = models.CharField(_("kind"), max_length=16, choices=PatrolKind.choices, default=PatrolKind.DAILY)
    client_key = models.CharField(_("client key"), max_length=64,
                                  help_text=_("The field app's id for the session: re-sending it changes nothing."))
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = BY_WORKER

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["worker", "client_key"], name="patrol_unique_client_key")]
        indexes = [models.Index(fields=["worker", "started_at"], name="patrol_worker_time_idx")]


class GpsPoint(models.Model):
    """A raw GPS point. Append-only: rows are inserted in arrival order and never updated; (worker, recorded_at) is
    unique, so a re-sent batch inserts nothing twice."""

    id = models.BigAutoField(primary_key=True)
    # No database foreign-key constraints: a per-row constraint trigger would cost the hot insert path more than the
    # rest of it (ids come from the logged-in account and its own session; accounts are never deleted, only disabled).
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("worker"), on_delete=models.PROTECT,
                               related_name="+", db_index=False, db_constraint=False)
    session = models.ForeignKey(PatrolSession, verbose_name=_("patrol"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, related_name="points", db_index=False,
                                db_constraint=False)
    recorded_at = models.DateTimeField(_("recorded at"))
    received_at = models.DateTimeField(_("received at"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = BY_WORKER

    class Meta:
        verbose_name = _("GPS point")
        verbose_name_plural = _("GPS points")
        constraints = [models.UniqueConstraint(fields=["worker", "recorded_at"], name="gpspoint_unique_worker_time")]


class PatrolDay(models.Model):
    """Per worker and (Asia/Shanghai) day: what the summaries, assessments and dashboards read."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("worker"), on_delete=models.CASCADE,
                               related_name="patrol_days")
    day = models.DateField(_("day"))
    points = models.PositiveIntegerField(_("points"), default=0)
    first_at = models.DateTimeField(_("first point"), null=True, blank=True)
    last_at = models.DateTimeField(_("last point"), null=True, blank=True)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    moving_seconds = models.PositiveIntegerField(_("time on patrol (s)"), default=0)
    inside_seconds = models.PositiveIntegerField(_("time inside own grids (s)"), default=0)
    coverage = models.FloatField(_("share of own grid area covered"), default=0)
    is_patrol_day = models.BooleanField(_("counts as a patrol day"), default=False)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = BY_WORKER

    class Meta:
        verbose_name = _("patrol day")
        verbose_name_plural = _("patrol days")
        ordering = ["-day", "worker_id"]
        constraints = [models.UniqueConstraint(fields=["worker", "day"], name="patrolday_unique_worker_day")]
        indexes = [models.Index(fields=["day"], name="patrolday_day_idx")]


class PatrolSchedule(models.Model):
    """A required patrol: 日巡查 every working day, 月排查 on given days of the month, 季度联查 once a quarter."""

    kind = models.CharField(_("kind"), max_length=16, choices=PatrolKind.choices, unique=True)
    name = models.CharField(_("name"), max_length=50)
    roles = models.JSONField(_("roles that must patrol"), default=list)
    days_of_month = models.JSONField(_("days of the month"), default=list, blank=True,
                                     help_text=_("For monthly checks, e.g. [1, 15]."))
    min_minutes = models.PositiveSmallIntegerField(_("minimum minutes on patrol"), default=30)
    min_coverage = models.FloatField(_("minimum share of the grid covered"), default=0.0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("patrol schedule")
        verbose_name_plural = _("patrol schedules")
        ordering = ["kind"]

    def __str__(self):
        return self.name


class Anomaly(models.Model):
    """Something in the records that a command center should look at, with the evidence."""

    kind = models.CharField(_("kind"), max_length=24, choices=AnomalyKind.choices)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("worker"), on_delete=models.CASCADE,
                               related_name="anomalies")
    day = models.DateField(_("day"))
    region_path = models.CharField(_("tree path"), max_length=255, db_index=True, blank=True)
    score = models.FloatField(_("score"), default=0)
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN)
    detected_at = models.DateTimeField(_("detected at"), auto_now=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="region_path", roles={"view": ANOMALY_VIEW_ROLES, "change": ANOMALY_REVIEW_ROLES})

    class Meta:
        verbose_name = _("anomaly")
        verbose_name_plural = _("anomalies")
        ordering = ["-day", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "worker", "day"], name="anomaly_unique_kind_worker_day")]
