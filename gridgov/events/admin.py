from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from gridgov.common.admin_site import AuditedModelAdmin, RoleInlineMixin
from gridgov.common.errors import ValidationFailed
from gridgov.common.roles import Role
from gridgov.events.attributes import choices_from_text, choices_to_text, clean_choices
from gridgov.events.models import Category, CategoryAttribute, HotlineClient, Route
from gridgov.events.taxonomy_excel import taxonomy_export, taxonomy_import


class RouteInline(RoleInlineMixin, admin.TabularInline):
    model = Route
    extra = 1
    fields = ["priority", "department_kind", "department", "region", "joint"]
    autocomplete_fields = ["department", "region"]


class CategoryAttributeForm(forms.ModelForm):
    """A question of the category; its choices are typed one a line as key=name (for the list types)."""

    choices = forms.CharField(label=_("choices"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 22}),
                              help_text=_("List types only: one choice a line, key=name (e.g. yes=有人受伤)."))

    class Meta:
        model = CategoryAttribute
        fields = ["order", "code", "description", "datatype", "required", "variable", "datatype_description"]
        widgets = {"order": forms.NumberInput(attrs={"style": "width:4em"}),
                   "code": forms.TextInput(attrs={"size": 12}),
                   "description": forms.TextInput(attrs={"size": 18}),
                   "datatype_description": forms.TextInput(attrs={"size": 16})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices"].initial = choices_to_text(self.instance.values)

    def clean(self):
        data = super().clean()
        try:
            self.instance.values = clean_choices(data.get("datatype"), choices_from_text(data.get("choices", "")))
        except ValidationError as exc:
            self.add_error("choices", exc.message_dict["values"])
        return data


class CategoryAttributeInline(RoleInlineMixin, admin.TabularInline):
    """Extra questions asked when a case of this category is filed (Open311 service definition)."""

    model = CategoryAttribute
    form = CategoryAttributeForm
    extra = 0
    fields = ["order", "code", "description", "datatype", "required", "variable", "datatype_description", "choices"]


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = "__all__"  # noqa: DJ007 — the admin edits every field of a category

    def clean(self):
        data = super().clean()
        if data.get("time_unit") == "workday" and data.get("time_limit") is not None \
                and data["time_limit"] != int(data["time_limit"]):
            self.add_error("time_limit", _("Working days are whole numbers."))
        return data


class TaxonomyUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    """The taxonomy is master data: the system administrator edits it (or imports it from Excel)."""

    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    form = CategoryForm
    list_display = ["code", "name", "level", "parent", "kind", "case_type", "time_limit", "time_unit", "is_active"]
    list_filter = ["level", "kind", "case_type", "is_active"]
    search_fields = ["code", "name"]
    inlines = [RouteInline, CategoryAttributeInline]
    change_list_template = "admin/events/category/change_list.html"

    def get_urls(self):
        return [path("excel/", self.admin_site.admin_view(self.excel_export), name="events_category_excel"),
                path("import/", self.admin_site.admin_view(self.excel_import), name="events_category_import"),
                ] + super().get_urls()

    def excel_export(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(taxonomy_export(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = "attachment; filename=\"taxonomy.xlsx\"; filename*=UTF-8''%E4%BA%8B%E4%BB%B6%E5%88%86%E7%B1%BB.xlsx"
        return response

    def excel_import(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = TaxonomyUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                with self.audited_changes(request, Category.objects.all(), Route.objects.all(),
                                          via="taxonomy Excel import"):
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


def _https_by_default(db_field, **kwargs):
    """A callback URL typed without a scheme means https (Django 6's default, asked for explicitly)."""
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class HotlineClientForm(forms.ModelForm):
    """The secret is write-only: it can be replaced (typed in, or generated and shown once) but never read back."""

    new_secret = forms.CharField(
        label=_("new secret"), required=False, strip=True, min_length=32, max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Only to use a secret chosen by the hotline's operators (at least 32 characters). Leave it empty "
                    "to keep the current secret, or, for a new client, to have one generated and shown once."))
    generate_secret = forms.BooleanField(
        label=_("generate a new secret"), required=False,
        help_text=_("Replaces the secret with a random one, shown once after saving. The hotline must then sign "
                    "with the new secret: pushes signed with the old one are refused."))

    class Meta:
        model = HotlineClient
        fields = ["name", "client_id", "callback_url", "is_active"]
        formfield_callback = _https_by_default

    def clean(self):
        data = super().clean()
        if data.get("new_secret") and data.get("generate_secret"):
            self.add_error("generate_secret", _("Either type a secret or generate one, not both."))
        return data


@admin.register(HotlineClient)
class HotlineClientAdmin(AuditedModelAdmin):
    """12345 hotline clients (docs/hotline-12345.md): the system administrator only. The secret is encrypted at
    rest and never shown back; a generated one is shown once, in a message, right after saving."""

    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    form = HotlineClientForm
    list_display = ["name", "client_id", "callback_url", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fields(self, request, obj=None):
        fields = ["name", "client_id", "callback_url", "is_active", "new_secret"]
        return fields if obj is None else [*fields, "generate_secret"]

    def save_model(self, request, obj, form, change):
        typed, shown = form.cleaned_data.get("new_secret"), None
        if typed:
            obj.secret = typed
        elif form.cleaned_data.get("generate_secret") or not change:
            shown = obj.new_secret()
        super().save_model(request, obj, form, change)
        request._hotline_secret = "generated" if shown else "typed" if typed else "kept"
        if shown:
            messages.warning(request, _(
                "The secret of %(name)s (client id %(client_id)s) is %(secret)s. Copy it now and hand it to the "
                "hotline's operators over a secure channel: it is stored encrypted and cannot be shown again.")
                % {"name": obj.name, "client_id": obj.client_id, "secret": shown})

    def audit_note(self, request, obj) -> dict:
        """The audit row shows the secret only as changed (masked); it also says how it was set."""
        return {"secret": getattr(request, "_hotline_secret", "kept")}
