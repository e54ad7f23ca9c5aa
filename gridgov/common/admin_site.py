"""The Django admin as the master-data console of the three administrators (三员), each kept to their own work."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from gridgov.common.roles import ADMIN_ROLES


class GridgovAdminSite(admin.AdminSite):
    site_header = "gridgov 网格化服务管理平台"
    site_title = "gridgov"
    index_title = "基础数据管理"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_authenticated and getattr(user, "role", None) in ADMIN_ROLES)


class GridgovAdminConfig(AdminConfig):
    default_site = "gridgov.common.admin_site.GridgovAdminSite"


class RoleAdminMixin:
    """Model admin permissions by role: ``view_roles`` may look, ``edit_roles`` may add, change and delete."""

    view_roles: set = set()
    edit_roles: set = set()
    can_delete = False

    def _role(self, request):
        return getattr(request.user, "role", None) if request.user.is_active else None

    def has_module_permission(self, request):
        return self._role(request) in (self.view_roles | self.edit_roles)

    def has_view_permission(self, request, obj=None):
        return self._role(request) in (self.view_roles | self.edit_roles)

    def has_add_permission(self, request, *args):
        return self._role(request) in self.edit_roles

    def has_change_permission(self, request, obj=None):
        return self._role(request) in self.edit_roles

    def has_delete_permission(self, request, obj=None):
        return self.can_delete and self._role(request) in self.edit_roles
