"""The Django admin as the console of the three administrators (三员), each kept to their own work, and every change
made in it audited field by field (docs/permissions.md).

Every ModelAdmin of the site uses ``AuditedAdminMixin`` (a test walks the site to keep it so): it decides who may
see and change the model (``view_roles``, ``edit_roles``, ``lookup_roles``) and writes an AuditLog row, with each
changed field's value before and after (secrets masked), in the transaction of the change, whichever way the change
is made: the add and change forms with their inlines and many-to-many fields, the change list's editable columns,
admin actions, deletes (one or many), and custom views that wrap their work in ``audited_changes``.
"""

import functools
from contextlib import contextmanager

from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db import router, transaction

from gridgov.common.roles import ADMIN_ROLES

# An admin action over more objects than this is recorded as one row (action and count), not object by object.
ACTION_SNAPSHOT_LIMIT = 1000


def _audit():
    """gridgov.common.audit, imported on first use: this module is loaded (for GridgovAdminConfig) while the app
    registry is still being populated, before any model may be imported."""
    from gridgov.common import audit

    return audit


class RoleAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete for those who may see the related model, and for its ``lookup_roles`` while they fill in a form
    they may submit (the security administrator picks an account's org unit without browsing the territory)."""

    def has_perm(self, request, obj=None):
        if self.model_admin.has_view_permission(request, obj=obj):
            return True
        lookup = getattr(self.model_admin, "has_lookup_permission", None)
        source = self.admin_site._registry.get(self.source_field.model)
        return bool(lookup is not None and lookup(request) and source is not None
                    and (source.has_add_permission(request) or source.has_change_permission(request)))


class GridgovAdminSite(admin.AdminSite):
    site_header = "gridgov 网格化服务管理平台"
    site_title = "gridgov"
    index_title = "基础数据管理"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_authenticated and getattr(user, "role", None) in ADMIN_ROLES)

    def autocomplete_view(self, request):
        return RoleAutocompleteJsonView.as_view(admin_site=self)(request)


class GridgovAdminConfig(AdminConfig):
    default_site = "gridgov.common.admin_site.GridgovAdminSite"


class RoleAdminMixin:
    """Model admin permissions by role: ``view_roles`` may look, ``edit_roles`` may add, change and delete,
    ``lookup_roles`` may only pick an object in a form of their own (autocomplete), not browse the model."""

    view_roles: set = set()
    edit_roles: set = set()
    lookup_roles: set = set()
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

    def has_lookup_permission(self, request):
        return self._role(request) in (self.view_roles | self.edit_roles | self.lookup_roles)


class RoleInlineMixin:
    """An inline's rows belong to the parent object: who may change the parent may add, change and delete them, and
    the parent's admin audits them (``AuditedAdminMixin.save_formset``)."""

    def _parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)


class AuditedAdminMixin(RoleAdminMixin):
    """The base of every ModelAdmin: role permissions, and an audit row per object created, changed or deleted.

    Rows say ``admin.create``, ``admin.change`` or ``admin.delete`` (``admin.password_change`` for the password
    form), name the object, and hold ``{"object": …, "changes": {field: {"before": …, "after": …}}}``; a row from
    an inline names its ``parent``, one from an admin action its ``admin_action``, one from a custom view its
    ``via``. A save that changes nothing writes no row. The "before" is read from the database when the change
    starts (``get_object`` / ``save_form``), the "after" once everything (inlines, many-to-many) is saved.
    """

    def audit_note(self, request, obj) -> dict:
        """Anything more the row of this save should say (e.g. how a secret was set): never a secret itself."""
        return {}

    # --- the "before" ---------------------------------------------------------------------------------------------

    def _before(self, request) -> dict:
        if not hasattr(request, "_gridgov_audit_before"):
            request._gridgov_audit_before = {}
        return request._gridgov_audit_before

    def _remember(self, request, pk):
        key = (self.model._meta.label_lower, pk)
        if key not in self._before(request):
            self._before(request)[key] = _audit().audit_snapshots(self.model._base_manager.filter(pk=pk)).get(pk)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            self._remember(request, obj.pk)  # before the form writes the posted values into the instance
        return obj

    def save_form(self, request, form, change):
        if change and form.instance.pk is not None:
            self._remember(request, form.instance.pk)  # the change list's editable columns do not call get_object
        return super().save_form(request, form, change)

    # --- the rows -------------------------------------------------------------------------------------------------

    def _write(self, request, model, changes, *, action=None, extra=None):
        audit = _audit()
        rows = audit.audit_change_rows(actor=request.user, ip=audit.client_ip(request), model=model, changes=changes,
                                       action=action, extra=extra)
        if rows:
            audit.AuditLog.objects.bulk_create(rows)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._write(request, self.model, [(obj.pk, None, _audit().audit_snapshot(obj))],
                    extra=self.audit_note(request, obj))
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        key = (self.model._meta.label_lower, obj.pk)
        known = key in self._before(request)
        before = self._before(request).pop(key, None)
        extra = {**self.audit_note(request, obj), **({} if known else {"before_unknown": True})}
        self._write(request, self.model, [(obj.pk, before, _audit().audit_snapshot(obj))], extra=extra,
                    action=getattr(request, "_gridgov_audit_action", None) or "admin.change")
        return entry

    def save_formset(self, request, form, formset, change):
        """Inline rows: each one added, changed or deleted gets its own row naming the parent."""
        audit = _audit()
        pks = {id(f.instance): f.instance.pk for f in formset.initial_forms if f.instance.pk is not None}
        before = audit.audit_snapshots(formset.model._base_manager.filter(pk__in=list(pks.values())))
        super().save_formset(request, form, formset, change)
        changes = [(o.pk, None, audit.audit_snapshot(o)) for o in formset.new_objects]
        changes += [(o.pk, before.get(o.pk), audit.audit_snapshot(o)) for o, _fields in formset.changed_objects]
        changes += [(pks[id(o)], before.get(pks[id(o)]), None) for o in formset.deleted_objects if id(o) in pks]
        parent = form.instance
        self._write(request, formset.model, changes, extra={"parent": {
            "type": parent._meta.label_lower, "id": parent.pk, "object": audit.audit_label(parent)}})

    def delete_model(self, request, obj):
        with transaction.atomic(using=router.db_for_write(self.model)):
            pk, before = obj.pk, _audit().audit_snapshot(obj)
            super().delete_model(request, obj)
            self._write(request, self.model, [(pk, before, None)])

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):  # the bulk action is not atomic by itself
            before = _audit().audit_snapshots(queryset)
            super().delete_queryset(request, queryset)
            self._write(request, self.model, [(pk, snap, None) for pk, snap in before.items()])

    # --- admin actions and custom views ---------------------------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {name: (func if func is delete_selected else self._audited_action(func, name), name, description)
                for name, (func, name, description) in actions.items()}

    def _audited_action(self, func, name):
        """Run an action in one transaction and record what it changed on each selected object (deletes by the
        built-in "delete selected" are recorded by ``delete_queryset``)."""

        @functools.wraps(func)
        def audited(modeladmin, request, queryset):
            model, audit = modeladmin.model, _audit()
            with transaction.atomic(using=router.db_for_write(model)):
                count = queryset.count()
                before = audit.audit_snapshots(queryset) if count <= ACTION_SNAPSHOT_LIMIT else None
                response = func(modeladmin, request, queryset)
                if before is None:
                    audit.audit_record(actor=request.user, action="admin.action", object_type=model._meta.label_lower,
                                       ip=audit.client_ip(request), detail={"admin_action": name, "count": count})
                else:
                    after = audit.audit_snapshots(model._base_manager.filter(pk__in=list(before)))
                    modeladmin._write(request, model, [(pk, snap, after.get(pk)) for pk, snap in before.items()],
                                      extra={"admin_action": name})
            return response

        return audited

    @contextmanager
    def audited_changes(self, request, *querysets, via: str):
        """Around the work of a custom admin view (an import): one transaction, and a row for every object of
        ``querysets`` that the work created, changed or deleted. Nothing changed, nothing written."""
        audit = _audit()
        with transaction.atomic(using=router.db_for_write(self.model)):
            before = [(queryset, audit.audit_snapshots(queryset)) for queryset in querysets]
            yield
            for queryset, old in before:
                new = audit.audit_snapshots(queryset.all())
                self._write(request, queryset.model, [(pk, old.get(pk), new.get(pk)) for pk in sorted({*old, *new})],
                            extra={"via": via})


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A ModelAdmin on the audited base (UserAdmin, built on Django's, uses the mixin directly)."""
