from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.common.admin_site import AuditedModelAdmin
from gridgov.common.errors import ValidationFailed
from gridgov.common.roles import Role
from gridgov.regions import io, services
from gridgov.regions.models import GridChange, Layer, LayerGrid, Region

MASTER = {Role.SYS_ADMIN}


class GeoJSONImportForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON file"))
    effective_date = forms.DateField(label=_("effective date"), initial=timezone.localdate,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    dry_run = forms.BooleanField(label=_("check only, load nothing"), required=False)


class LayerImportForm(forms.Form):
    layer = forms.ModelChoiceField(label=_("layer"), queryset=Layer.objects.exclude(kind="base"))
    file = forms.FileField(label=_("GeoJSON file"))
    dry_run = forms.BooleanField(label=_("check only, load nothing"), required=False)


class GeoJSONImportMixin:
    """An "import GeoJSON" page beside the change list: every bad feature listed, nothing half-loaded, and every
    object the import creates or changes audited field by field (``audited_changes``)."""

    import_form = GeoJSONImportForm
    import_title = ""
    import_help = ""

    # Each admin using the mixin defines run_import(request, cleaned_data) -> io.ImportResult.

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("import/", self.admin_site.admin_view(self.import_view), name="%s_%s_import" % info)] + \
            super().get_urls()

    def import_view(self, request):
        if not self.has_change_permission(request) and not self.has_add_permission(request):
            raise PermissionDenied
        result = None
        form = self.import_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = self.run_import(request, form.cleaned_data)
            except ValidationFailed as exc:
                form.add_error("file", str(exc.message))
            else:
                if not result.errors:
                    messages.success(request, _("%(c)d created, %(u)d updated, %(n)d unchanged.") % {
                        "c": len(result.created), "u": len(result.updated), "n": len(result.unchanged)})
        context = {**self.admin_site.each_context(request), "form": form, "result": result,
                   "opts": self.model._meta, "title": self.import_title, "import_help": self.import_help}
        return render(request, "admin/regions/import.html", context)


class RegionChangeForm(forms.ModelForm):
    effective_date = forms.DateField(label=_("effective date of this change"), initial=timezone.localdate,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)

    class Meta:
        model = Region
        fields = ["name", "households", "population", "villager_groups", "geometry"]


@admin.register(Region)
class RegionAdmin(GeoJSONImportMixin, AuditedModelAdmin):
    """The territory is the system administrator's; the security administrator only picks a region (an account's
    org unit) by name in the account form."""

    view_roles, edit_roles, lookup_roles = set(), MASTER, {Role.SEC_ADMIN}
    list_display = ["code", "name", "level", "status", "households", "population", "valid_from"]
    list_filter = ["level", "status", "area_type"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "level", "parent", "status", "valid_from", "valid_to", "area_m2"]
    change_list_template = "admin/regions/change_list_import.html"
    form = RegionChangeForm
    import_title = _("Import regions from GeoJSON")
    import_help = _("Properties per feature: code, name, level (district/street/community/grid/micro/special), "
                    "parent (code), households, population, area_type, special_kind, villager_groups, status. "
                    "A file with any bad feature loads nothing.")

    def has_add_permission(self, request, *args):
        return False  # regions are created by import or the API, which validate the tree

    def save_model(self, request, obj, form, change):
        try:
            services.region_update(
                actor=request.user, region=obj, effective_date=form.cleaned_data["effective_date"],
                reason=form.cleaned_data["reason"],
                geometry=form.cleaned_data["geometry"] if "geometry" in form.changed_data else None,
                name=obj.name, households=obj.households, population=obj.population,
                villager_groups=obj.villager_groups,
            )
        except ValidationFailed as exc:
            messages.error(request, f"{exc.field or ''} {exc.message}")

    def run_import(self, request, data):
        with self.audited_changes(request, Region.objects.all(), via="GeoJSON import"):
            return io.territory_import(actor=request.user, raw=data["file"].read(),
                                       effective_date=data["effective_date"], dry_run=data["dry_run"])


@admin.register(Layer)
class LayerAdmin(AuditedModelAdmin):
    view_roles, edit_roles = set(), MASTER
    list_display = ["code", "name", "kind", "sort_order"]


@admin.register(LayerGrid)
class LayerGridAdmin(GeoJSONImportMixin, AuditedModelAdmin):
    """Layer grids are read here and imported from GeoJSON (the import checks the 多网合一 rules)."""

    view_roles, edit_roles = set(), MASTER
    list_display = ["code", "name", "layer", "households", "population"]
    list_filter = ["layer"]
    search_fields = ["code", "name"]
    readonly_fields = ["layer", "code", "name", "region", "households", "population", "geometry"]
    change_list_template = "admin/regions/change_list_import.html"
    import_form = LayerImportForm
    import_title = _("Import layer grids from GeoJSON")
    import_help = _("Properties per feature: code, name; for a merged layer either a boundary that follows base "
                    "grids or members (base-grid codes). A file with any bad feature loads nothing.")

    def has_add_permission(self, request, *args):
        return False  # through the import, which validates the layer rules

    def run_import(self, request, data):
        grids = LayerGrid.objects.filter(layer=data["layer"]).select_related("layer")
        with self.audited_changes(request, grids, via="GeoJSON layer import"):
            return io.layer_import(actor=request.user, layer=data["layer"], raw=data["file"].read(),
                                   dry_run=data["dry_run"])


@admin.register(GridChange)
class GridChangeAdmin(AuditedModelAdmin):
    view_roles, edit_roles = MASTER, set()
    list_display = ["effective_date", "kind", "reason", "actor", "at"]
    list_filter = ["kind"]
