from django.db import models
from django.utils.translation import gettext_lazy as _


class Employment(models.TextChoices):
    FULL_TIME = "full", _("full-time")
    PART_TIME = "part", _("part-time")


class DepartmentKind(models.TextChoices):
    POLICE = "police", _("police station")
    NATURAL_RESOURCES = "natural_resources", _("natural resources office")
    EMERGENCY = "emergency", _("emergency management office")
    MARKET = "market", _("market supervision office")
    ECOLOGY = "ecology", _("ecology and environment office")
    SANITATION = "sanitation", _("sanitation office")
    STABILITY = "stability", _("social stability office")
    PLANNING = "planning", _("planning and construction office")
    AGRICULTURE = "agriculture", _("agricultural service centre")
    LIVESTOCK = "livestock", _("livestock pollution control office")
    HOTLINE = "hotline", _("12345 hotline office")
    URBAN_MGMT = "urban_mgmt", _("urban management and law enforcement")
    CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
    HEALTH = "health", _("health commission")
    CLEANING = "cleaning", _("cleaning company")
    OTHER = "other", _("other")
