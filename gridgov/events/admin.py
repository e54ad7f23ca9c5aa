from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import Role
from gridgov.common.errors import ValidationFailed
from gridgov.events.models import Category, Event, Route
from gridgov.events.taxonomy_excel import taxonomy_export, taxonomy_import
from gridgov.web.admin_site import RoleAdminMixin


class RouteInline(admin.TabularInline):
    model = Route
    extra = 1
    fields = ["priority", "department_kind", "department", "region", "joint"]
    autocomplete_fields = ["department", "region"]

    def _editor(self, request) -> bool:
        return request.user.role == Role.SYS_ADMIN

    def has_view_permission(self, request, obj=None):
        return request.user.role in (Role.SYS_ADMIN, Role.SEC_ADMIN)

    def has_add_permission(self, request, obj=None):
        return self._editor(request)

    def has_change_permission(self, request, obj=None):
        return self._editor(request)

    def has_delete_permission(self, request, obj=None):
        return self._editor(request)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if data.get("time_unit") == "workday" and data.get("time_limit") is not None \
                and data["time_limit"] != int(data["time_limit"]):
            self.add_error("time_limit", _("Working days are whole numbers."))
        return data


class TaxonomyUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))


@admin.register(Category)
class CategoryAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The taxonomy is master data: the system administrator edits it (or imports it from Excel)."""

    view_roles, edit_roles = {Role.SEC_ADMIN}, {Role.SYS_ADMIN}
    form = CategoryForm
    list_display = ["code", "name", "level", "parent", "kind", "case_type", "time_limit", "time_unit", "is_active"]
    list_filter = ["level", "kind", "case_type", "is_active"]
    search_fields = ["code", "name"]
    inlines = [RouteInline]
    change_list_template = "admin/events/category/change_list.html"

    def get_urls(self):
        return [path("excel/", self.admin_site.admin_view(self.excel_export), name="events_category_excel"),
                path("import/", self.admin_site.admin_view(self.excel_import), name="events_category_import"),
                ] + super().get_urls()

    def excel_export(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        response = HttpResponse(taxonomy_export(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = "attachment; filename=\"taxonomy.xlsx\"; filename*=UTF-8''%E4%BA%8B%E4%BB%B6%E5%88%86%E7%B1%BB.xlsx"
        return response

    def excel_import(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = TaxonomyUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = taxonomy_import(actor=request.user, data=form.cleaned_data["file"].read())
            except ValidationFailed as exc:
                form.add_error("file", str(exc.message))
            else:
                if not result.errors:
                    messages.success(request, _("%(c)d created, %(u)d updated.") % {"c": result.created,
                                                                                   "u": result.updated})
                    return redirect("admin:events_category_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "result": result,
                   "opts": self.model._meta, "title": _("Import the taxonomy from Excel")}
        return render(request, "admin/events/category/import.html", context)


@admin.register(Event)
class EventAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Cases are handled in the workbench, not the admin; the security administrator may look them up."""

    view_roles, edit_roles = {Role.SEC_ADMIN}, set()
    list_display = ["number", "category", "status", "channel", "reported_at", "deadline"]
    list_filter = ["status", "channel"]
    search_fields = ["number"]
    exclude = ["reporter_phone", "reporter_name", "citizen_token"]
