import secrets

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import DepartmentKind
from gridgov.common.fields import EncryptedTextField
from gridgov.common.models import TimeStampedModel
from gridgov.common.roles import Role
from gridgov.common.scoping import Scope, ScopedQuerySet, is_active
from gridgov.events.choices import (
    AttributeType,
    CaseType,
    CategoryKind,
    CategoryLevel,
    Channel,
    PhotoKind,
    RejectReason,
    Satisfaction,
    Status,
)

TIME_UNITS = [("workday", _("working days")), ("workhour", _("working hours"))]


class Category(TimeStampedModel):
    """The taxonomy: class → subclass (→ item). Events are filed under a subclass or an item."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=CategoryLevel.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    kind = models.CharField(_("event or component"), max_length=16, choices=CategoryKind.choices,
                            default=CategoryKind.EVENT)
    case_type = models.CharField(_("case type"), max_length=16, choices=CaseType.choices, default=CaseType.PROMISED)
    time_limit = models.DecimalField(_("time limit"), max_digits=6, decimal_places=1, default=5)
    time_unit = models.CharField(_("time unit"), max_length=16, choices=TIME_UNITS, default="workday")
    photo_required_report = models.BooleanField(_("photo required to report"), default=True)
    photo_required_close = models.BooleanField(_("photo required to close"), default=True)
    closing_standard = models.TextField(_("closing standard"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    @property
    def fileable(self) -> bool:
        """Events are filed under subclasses and items, not under a whole class."""
        return self.level != CategoryLevel.CLASS


ATTRIBUTE_CODE = RegexValidator(r"^[A-Za-z][A-Za-z0-9_]{0,31}$", _("Letters, digits and _, starting with a letter (at "
                                                               "most 32): clients send it as attribute[code]."))


class CategoryAttribute(models.Model):
    """An extra question a category asks when a case is filed (部件编号, 是否有人受伤, 涉及人数 …): published as the
    category's Open311 service definition and checked on every Open311 request (``gridgov.events.attributes``)."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="attributes")
    code = models.CharField(_("code"), max_length=32, validators=[ATTRIBUTE_CODE])
    description = models.CharField(_("question"), max_length=200,
                                   help_text=_("What the reporter is asked, e.g. 是否有人受伤？"))
    datatype = models.CharField(_("answer type"), max_length=16, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(_("asks for input"), default=True,
                                   help_text=_("Untick for a note that is only shown to the reporter."))
    order = models.PositiveSmallIntegerField(_("order"), default=1, validators=[MinValueValidator(1)])
    datatype_description = models.CharField(_("input hint"), max_length=200, blank=True,
                                            help_text=_("e.g. 井盖上的编号，如 0403-0012"))
    values = models.JSONField(_("choices"), default=list, blank=True,
                              help_text=_("For the list types: the choices, each with a key and a name."))

    class Meta:
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="category_attribute_unique_code"),
            models.UniqueConstraint(fields=["category", "order"], name="category_attribute_unique_order"),
        ]

    def __str__(self):
        return f"{self.code}: {self.description}"


class Route(models.Model):
    """Who handles a category: a kind of department (派出所, 环卫办 …), found where the event lies.

    Rules are tried in ``priority`` order; the first department found serving the event's grid handles it, with
    ``joint`` rules adding co-handling departments (网格吹哨、部门报到). ``region`` limits a rule to a subtree
    (a district-wide rule has none). ``department`` pins one unit instead of a kind.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="routes")
    department_kind = models.CharField(_("department kind"), max_length=32, choices=DepartmentKind.choices,
                                       blank=True)
    department = models.ForeignKey("accounts.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="routes")
    region = models.ForeignKey("regions.Region", verbose_name=_("only within"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="routes")
    priority = models.PositiveSmallIntegerField(_("priority"), default=10)
    joint = models.BooleanField(_("co-handling department"), default=False)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category", "priority", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(department_kind="") | Q(department__isnull=False),
                                   name="route_kind_or_department"),
        ]


# Who sees cases by region: the grid team, the community and the command centre (the administrators do not handle
# cases). A department sees the cases it was sent; a citizen (``citizen.CitizenActor``) their own case only.
CASE_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER})


def _sent_or_own(user, action):
    if getattr(user, "role", None) == "citizen":
        return Q(pk=user.event_id)
    if is_active(user) and user.role == Role.DEPT_HANDLER:
        # The department's case ids, computed once (an uncorrelated semi-join): a correlated EXISTS made SQLite walk
        # the department's whole (department, active) index for every case — 14 s to count 20,000 cases.
        return Q(pk__in=Assignment.objects.filter(department_id=user.department_id).values("event_id"))
    return None


class Event(TimeStampedModel):
    number = models.CharField(_("case number"), max_length=32, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="events")
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), null=True, on_delete=models.PROTECT,
                             related_name="events")
    region_path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    external_id = models.CharField(_("external number"), max_length=64, blank=True,
                                   help_text=_("e.g. the 12345 work-order number"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPORTED,
                              db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    case_type = models.CharField(_("case type"), max_length=16, choices=CaseType.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reporter"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_events")
    reporter_name = models.CharField(_("reporter name"), max_length=64, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=32, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("warning from"), null=True, blank=True, db_index=True,
                                   help_text=_("When the case starts to count as about to expire."))
    deadline_estimated = models.BooleanField(_("deadline estimated (no calendar for that year)"), default=False)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lead_department = models.ForeignKey("accounts.Department", verbose_name=_("lead department"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="lead_events")
    handling_region = models.ForeignKey("regions.Region", verbose_name=_("handled at level of"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="escalated_events")
    auto_dispatched = models.BooleanField(_("dispatched automatically"), default=False)
    manual_reason = models.CharField(_("why a dispatcher is needed"), max_length=300, blank=True)
    duplicate_of = models.ForeignKey("self", verbose_name=_("duplicate of"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="duplicates")
    reject_reason = models.CharField(_("reason not accepted"), max_length=16, choices=RejectReason.choices,
                                     blank=True)
    self_resolved = models.BooleanField(_("solved on the spot"), default=False)
    supervised = models.BooleanField(_("under supervision"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)
    return_count = models.PositiveSmallIntegerField(_("return count"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("extension count"), default=0)
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True)
    satisfaction_comment = models.CharField(_("satisfaction comment"), max_length=500, blank=True)
    citizen_token = models.CharField(_("citizen's tracking token"), max_length=64, null=True, blank=True,
                                     unique=True, editable=False)
    attributes = models.JSONField(_("answers to the category's questions"), default=list, blank=True,
                                  help_text=_("[{code, label, value, text}] as filed (gridgov.events.attributes)"))

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="region_path", roles={"view": CASE_ROLES}, owner="reporter", owner_roles={"view": CASE_ROLES},
                  extra=_sent_or_own)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="event_status_deadline_idx"),
            models.Index(fields=["category", "reported_at"], name="event_category_time_idx"),
            models.Index(fields=["category", "lat"], name="event_category_lat_idx"),  # duplicate search
            models.Index(fields=["lead_department", "status"], name="event_dept_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], condition=~Q(external_id=""),
                                    name="event_unique_external_id_per_channel"),
        ]

    def __str__(self):
        return f"{self.number} {self.category.name}"


class Assignment(models.Model):
    """A department the case is dispatched to; one is the lead (牵头), others co-handle (网格吹哨、部门报到).

    Each department's own part is recorded here: when and by whom it signed for the case and reported on it, and
    what it said. The lead's sign and result are the case's (moves ``sign``, ``feedback``); an assisting department
    signs for and reports on its part only (``sign_part``, ``report_part``) and never moves the case."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey("accounts.Department", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="assignments")
    is_lead = models.BooleanField(_("lead department"), default=False)
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    active = models.BooleanField(_("active"), default=True)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed for by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(_("result reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("result reported by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    report = models.TextField(_("its report"), blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["event", "department"], condition=Q(active=True),
                                    name="assignment_one_active_per_department"),
        ]
        indexes = [models.Index(fields=["department", "active"], name="assignment_dept_active_idx")]


class Transition(models.Model):
    """Every move of a case: who, when, from which state to which, why, with what evidence."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("actor name"), max_length=150)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("event transition")
        verbose_name_plural = _("event transitions")
        ordering = ["at", "id"]


class Photo(models.Model):
    """A processed photo. Uploaded first (``event`` empty, owned by the uploader), then attached to a case."""

    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    transition = models.ForeignKey(Transition, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="photos")
    kind = models.CharField(_("kind"), max_length=16, choices=PhotoKind.choices)
    file = models.CharField(_("file"), max_length=200)
    thumbnail = models.CharField(_("thumbnail"), max_length=200)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "id"]


class IdempotencyKey(models.Model):
    """A create request's Idempotency-Key: a retry gets the stored answer; the same key with another body, a 422."""

    key = models.CharField(max_length=128)
    owner = models.CharField(max_length=160, help_text="user id, or client id for anonymous channels")
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_owner_key")]


class HotlineClient(TimeStampedModel):
    """A 12345 hotline system allowed to push work orders (gridgov.events.hotline, docs/hotline-12345.md).

    Verifying an HMAC needs the secret itself, so it cannot be hashed: it is encrypted at rest (AES-256-GCM,
    gridgov.common.crypto) and never shown back in the admin, where only system administrators see this table.
    """

    name = models.CharField(_("name"), max_length=100)
    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    secret = EncryptedTextField(_("shared secret"),
                                help_text=_("Used to sign pushes and callbacks (HMAC-SHA256); at least 32 characters."))
    callback_url = models.URLField(_("callback URL"), max_length=300, blank=True,
                                   help_text=_("Where results are posted; empty for no callbacks."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("12345 hotline client")
        verbose_name_plural = _("12345 hotline clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def new_secret(self) -> str:
        """Give the client a fresh random secret (64 hex digits) and return it, to be shown once; save afterwards."""
        self.secret = secrets.token_hex(32)
        return self.secret


class HotlineOrder(models.Model):
    """Which hotline client pushed which case: results are called back to that client."""

    event = models.OneToOneField(Event, verbose_name=_("event"), on_delete=models.CASCADE,
                                 related_name="hotline_order")
    client = models.ForeignKey(HotlineClient, verbose_name=_("12345 hotline client"), on_delete=models.PROTECT,
                               related_name="orders")
    order_no = models.CharField(_("work-order number"), max_length=64, unique=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("12345 work order")
        verbose_name_plural = _("12345 work orders")
