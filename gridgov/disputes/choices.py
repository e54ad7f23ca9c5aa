from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.common.roles import Role

# Who registers and mediates disputes: the grid team, the community and the command centre.
MEDIATORS = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER})
# Who reads disputes and their statistics (a leader reads, never acts).
READERS = MEDIATORS | {Role.LEADER}


class DisputeKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("neighbours")
    FAMILY = "family", _("marriage and family")
    LAND = "land", _("land and property rights")
    LABOUR = "labour", _("labour and unpaid wages")
    DEBT = "debt", _("contracts and debts")
    PROPERTY_MGMT = "property_mgmt", _("property management")
    ENVIRONMENT = "environment", _("environment and nuisance")
    DEMOLITION = "demolition", _("land acquisition and demolition")
    OTHER = "other", _("other")


class DisputeStatus(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("dispute", "registered")  # 已登记 (an event's "registered" is 已立案)
    MEDIATING = "mediating", _("being mediated")
    SETTLED = "settled", _("settled")
    FAILED = "failed", _("mediation failed")
    ESCALATED = "escalated", _("escalated as an event")
    CLOSED = "closed", _("closed after follow-up")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("applicant")
    RESPONDENT = "respondent", _("respondent")
    OTHER = "other", _("other party")


class StepKind(models.TextChoices):
    TALK = "talk", _("talk with the parties")
    JOINT = "joint", _("joint mediation")
    LEGAL = "legal", _("legal advice")
    AGREEMENT = "agreement", _("agreement signed")
    FOLLOW_UP = "follow_up", _("follow-up")
    OTHER = "other", _("other")
