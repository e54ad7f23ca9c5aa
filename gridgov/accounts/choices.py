from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    GRID_LEADER = "grid_leader", _("grid leader")
    COMMUNITY_STAFF = "community_staff", _("community / village staff")
    DISPATCHER = "dispatcher", _("dispatcher")
    DEPT_HANDLER = "dept_handler", _("department handler")
    LEADER = "leader", _("leader (read-only)")
    SYS_ADMIN = "sys_admin", _("system administrator")
    SEC_ADMIN = "sec_admin", _("security administrator")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")


ADMIN_ROLES = {Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN}
# Roles whose scope is a subtree of the region tree rooted at their org unit.
REGION_ROLES = {Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER}


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
