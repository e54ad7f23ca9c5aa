"""Visits (走访): a log per household, person or unit; required frequencies come from person tags
(``registry.Tag.visit_every_days``) and, for every household, ``settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.common.roles import Role
from gridgov.common.scoping import Scope, ScopedQuerySet
from gridgov.visits.choices import VisitPurpose

# Who records visits (field staff), who reads visit logs, and who oversees other workers' overdue lists.
VISITOR_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF})
VISIT_READERS = VISITOR_ROLES | {Role.DISPATCHER, Role.LEADER}
OVERSEERS = frozenset({Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER})


def _key_person_visits(user, action):
    """A role that may not see key-person tags (a leader) must not learn them from visits either: it does not see
    key-person follow-ups nor any visit to a person with a key-person tag."""
    from gridgov.registry import selectors as registry

    if registry.can_see_key_tags(user):
        return None
    return Q(purpose=VisitPurpose.KEY_PERSON) | Q(person__in=registry.key_people())


# The grid workers whose visits and overdue lists a user oversees (applied to User querysets).
VISITING_WORKERS = Scope(path="grids__path", roles={"view": OVERSEERS}, owner="pk",
                         owner_roles={"view": frozenset({Role.GRID_WORKER})})


class Visit(models.Model):
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("visited by"), on_delete=models.PROTECT,
                               related_name="visits")
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    client_key = models.CharField(_("client key"), max_length=64, blank=True,
                                  help_text=_("The field app's id for the visit: re-sending it changes nothing."))
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="visits")
    person = models.ForeignKey("registry.Person", verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="visits")
    unit = models.ForeignKey("registry.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="visits")
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="visits")
    region_path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=16, choices=VisitPurpose.choices,
                               default=VisitPurpose.ROUTINE)
    findings = models.TextField(_("findings"), blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="region_path", roles={"view": VISIT_READERS}, owner="worker", owner_roles={"view": VISIT_READERS},
                  hide=_key_person_visits)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(household__isnull=False, person__isnull=True, unit__isnull=True)
                           | Q(household__isnull=True, person__isnull=False, unit__isnull=True)
                           | Q(household__isnull=True, person__isnull=True, unit__isnull=False)),
                name="visit_exactly_one_target"),
            models.UniqueConstraint(fields=["worker", "client_key"], condition=~Q(client_key=""),
                                    name="visit_unique_client_key"),
        ]
        indexes = [models.Index(fields=["worker", "visited_at"], name="visit_worker_time_idx")]


class VisitPhoto(models.Model):
    """A processed photo of a visit (``gridgov.common.images``: re-encoded, EXIF stripped, server-generated name)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), max_length=200)
    thumbnail = models.FileField(_("thumbnail"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
