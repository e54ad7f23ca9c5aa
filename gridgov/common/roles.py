"""The roles every layer reasons about (who may see and do what). Accounts store one of them; the scoping and
workflow engines and the admin site read them, so they live here, below every app."""

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
