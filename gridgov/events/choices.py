from django.db import models
from django.utils.translation import gettext_lazy as _


class CategoryLevel(models.TextChoices):
    CLASS = "class", _("class")
    SUBCLASS = "subclass", _("subclass")
    ITEM = "item", _("item")


class CategoryKind(models.TextChoices):
    """Events route "territory first, then owner" (先属地后属主); components "owner first" (先属主后属地)."""

    EVENT = "event", _("event")
    COMPONENT = "component", _("component")


class AttributeType(models.TextChoices):
    """The datatypes of a category's extra questions, as Open311 GeoReport v2 names them (service definitions)."""

    STRING = "string", _("short text (one line)")
    NUMBER = "number", _("a number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("long text")
    SINGLE = "singlevaluelist", _("one choice from a list")
    MULTI = "multivaluelist", _("several choices from a list")


class CaseType(models.TextChoices):
    IMMEDIATE = "immediate", _("immediate case")
    PROMISED = "promised", _("promised case")
    COORDINATED = "coordinated", _("coordination case")


class Channel(models.TextChoices):
    WORKER = "worker", _("grid worker report")
    CITIZEN = "citizen", _("citizen (QR code)")
    HOTLINE = "hotline", _("12345 hotline")
    POLICE_110 = "police_110", _("110 referral")
    LEADER = "leader", _("leader assignment")
    OPEN311 = "open311", _("Open311 client")
    DISPATCHER = "dispatcher", _("entered by a dispatcher")


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("not accepted")
    REGISTERED = "registered", _("registered")
    DISPATCHED = "dispatched", _("dispatched")
    HANDLING = "handling", _("being handled")
    RETURNED = "returned", _("returned by the department")
    HANDLED = "handled", _("handled, awaiting verification")
    CLOSED = "closed", _("closed")
    RATED = "rated", _("rated")
    UNSATISFIED = "unsatisfied", _("rated unsatisfied, awaiting a decision")
    ARCHIVED = "archived", _("archived")
    CANCELLED = "cancelled", _("cancelled")


# States in which a department holds the case and the deadline runs.
RUNNING = {Status.DISPATCHED, Status.HANDLING}
# States from which nothing more happens.
FINAL = {Status.REJECTED, Status.ARCHIVED, Status.CANCELLED}


class RejectReason(models.TextChoices):
    INVALID = "invalid", _("invalid report")
    DUPLICATE = "duplicate", _("duplicate of another case")
    OUT_OF_SCOPE = "out_of_scope", _("not a matter for grid management")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class PhotoKind(models.TextChoices):
    REPORT = "report", _("report photo")
    BEFORE = "before", _("before handling")
    AFTER = "after", _("after handling")
    VERIFY = "verify", _("verification photo")
