from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import DepartmentKind, Employment
from gridgov.common.models import TimeStampedModel
from gridgov.common.roles import ADMIN_ROLES, Role
from gridgov.common.scoping import STAFF, WHOLE_TERRITORY, Scope, ScopedQuerySet, ancestor_paths, is_active, territory


def _own_department_or_above(user, action):
    """A department handler sees its own department; staff also see the departments of the regions above them."""
    if not is_active(user) or action != "view":
        return None
    if user.role == Role.DEPT_HANDLER:
        return Q(pk=user.department_id)
    if user.role in STAFF:
        return Q(region__path__in=ancestor_paths(territory(user).paths))
    return None


def _self(user, action):
    """Every staff member sees their own account."""
    return Q(pk=user.pk) if is_active(user) and user.role in STAFF and action == "view" else None


class Department(TimeStampedModel):
    """A handling unit (承办单位 / 职能部门) and the area it serves."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices, default=DepartmentKind.OTHER)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("belongs to"), on_delete=models.PROTECT, related_name="departments",
        help_text=_("The district or street the unit belongs to."),
    )
    service_area = models.ManyToManyField(
        "regions.Region", verbose_name=_("service area"), related_name="served_by", blank=True,
        help_text=_("Regions the unit serves (their whole subtrees). Empty means the region it belongs to."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    # The administrators see every department; staff the ones serving (or belonging to) their part of the tree.
    scope = Scope(path=("service_area__path", "region__path"),
                  roles={"view": (STAFF - {Role.DEPT_HANDLER}) | WHOLE_TERRITORY}, extra=_own_department_or_above)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class StaffManager(UserManager.from_queryset(ScopedQuerySet)):
    """Django's user manager with ``restrict(user, action)``."""


class User(AbstractUser):
    """A staff account bound to an org unit in the region tree or to a department, with one role."""

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.GRID_WORKER)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    grids = models.ManyToManyField(
        "regions.Region", verbose_name=_("grids served"), related_name="workers", blank=True,
        help_text=_("A worker may serve several grids (one person, many grids)."),
    )
    employment = models.CharField(_("employment"), max_length=8, choices=Employment.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    objects = StaffManager()
    # The system and security administrators see every account, the audit administrator none; staff see colleagues
    # attached (org unit or grids served) inside their part of the tree, and themselves.
    scope = Scope(path=("region__path", "grids__path"), roles={"view": STAFF | WHOLE_TERRITORY}, extra=_self)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.DEPT_HANDLER) | Q(department__isnull=False),
                name="user_handler_has_department",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role in ADMIN_ROLES
