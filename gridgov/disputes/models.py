"""Disputes (矛盾纠纷): registration with parties and type, mediation steps, outcome and agreement, follow-up, and
escalation into an event when the grid cannot settle it (小事不出村、大事不出镇)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.common.fields import EncryptedTextField
from gridgov.common.models import TimeStampedModel
from gridgov.common.scoping import Scope, ScopedQuerySet
from gridgov.disputes.choices import READERS, DisputeKind, DisputeStatus, PartyRole, StepKind


class Dispute(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DisputeKind.choices)
    summary = models.TextField(_("summary"))
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="disputes")
    region_path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), db_index=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"),
                                      on_delete=models.PROTECT, related_name="disputes_registered")
    client_key = models.CharField(_("client key"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=DisputeStatus.choices,
                              default=DisputeStatus.REGISTERED, db_index=True)
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("mediator"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="disputes_mediated")
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    agreement = models.TextField(_("agreement"), blank=True)
    follow_up_due = models.DateField(_("follow up by"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    event = models.ForeignKey("events.Event", verbose_name=_("escalated as event"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="disputes")
    version = models.PositiveIntegerField(_("version"), default=1)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # Readers see the disputes in their part of the tree, and everyone the disputes they registered.
    scope = Scope(path="region_path", roles={"view": READERS}, owner="registered_by", owner_roles={"view": READERS})

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-registered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["registered_by", "client_key"], condition=~Q(client_key=""),
                                               name="dispute_unique_client_key")]
        indexes = [models.Index(fields=["region_path", "registered_at"], name="dispute_path_time_idx")]

    def __str__(self):
        return self.number


class DisputeParty(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    name = models.CharField(_("name"), max_length=64)
    person = models.ForeignKey("registry.Person", verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="disputes")
    phone = EncryptedTextField(_("phone"), blank=True, default="")

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")


class MediationStep(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=16, choices=StepKind.choices)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                           related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("mediation step")
        verbose_name_plural = _("mediation steps")
        ordering = ["at", "id"]


class DisputeTransition(models.Model):
    """One status change made by ``disputes.services.dispute_transition`` (the only code that changes a status)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=16)
    from_status = models.CharField(_("from"), max_length=16, choices=DisputeStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=DisputeStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(_("by"), max_length=150)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispute status change")
        verbose_name_plural = _("dispute status changes")
        ordering = ["at", "id"]
