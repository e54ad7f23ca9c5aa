from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.common.models import TimeStampedModel
from gridgov.common.roles import Role
from gridgov.common.scoping import STAFF, WHOLE_TERRITORY, Scope, ScopedQuerySet, below
from gridgov.regions.choices import (
    AreaType,
    ChangeKind,
    LayerKind,
    Level,
    RegionStatus,
    SpecialKind,
)


class GeoFieldsMixin(models.Model):
    """GeoJSON geometry (WGS84) plus the derived figures the map and the index need."""

    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    centroid_lon = models.FloatField(_("centroid longitude"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    bbox_w = models.FloatField(null=True, blank=True, editable=False)
    bbox_s = models.FloatField(null=True, blank=True, editable=False)
    bbox_e = models.FloatField(null=True, blank=True, editable=False)
    bbox_n = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


# Everyone who works in the territory sees its map; only the system administrator changes master data.
TERRITORY_ROLES = {"view": STAFF | WHOLE_TERRITORY, "change": {Role.SYS_ADMIN}}


class RegionQuerySet(ScopedQuerySet):
    def current(self):
        return self.exclude(status=RegionStatus.RETIRED)

    def subtree(self, region, include_self: bool = True):
        qs = self.filter(below("path", region.path))
        return qs if include_self else qs.exclude(pk=region.pk)


class Region(GeoFieldsMixin, TimeStampedModel):
    """A node of the territory tree: district → street → community → grid → micro-grid / special grid."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    area_type = models.CharField(_("urban or rural"), max_length=8, choices=AreaType.choices, default=AreaType.URBAN)
    special_kind = models.CharField(_("special grid kind"), max_length=16, choices=SpecialKind.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    villager_groups = models.CharField(_("villager groups"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RegionStatus.choices, default=RegionStatus.ACTIVE)
    valid_from = models.DateField(_("effective from"))
    valid_to = models.DateField(_("effective until"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()
    scope = Scope(path="path", roles=TERRITORY_ROLES)

    class Meta:
        verbose_name = _("region / grid")
        verbose_name_plural = _("regions and grids")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "status"], name="region_level_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True, level=Level.DISTRICT) | Q(parent__isnull=False),
                name="region_parent_required_below_district",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def level_label(self) -> str:
        return str(self.get_level_display())

    @property
    def centroid(self) -> list[float] | None:
        return [self.centroid_lon, self.centroid_lat] if self.centroid_lon is not None else None

    @property
    def is_grid(self) -> bool:
        return self.level in (Level.GRID, Level.MICRO, Level.SPECIAL)

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]


class GridChange(models.Model):
    """A recorded change of the territory with its effective date: boundary, split, merge, reserve, …"""

    kind = models.CharField(_("kind of change"), max_length=16, choices=ChangeKind.choices)
    effective_date = models.DateField(_("effective date"), db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    sources = models.ManyToManyField(Region, verbose_name=_("before"), related_name="changes_from", blank=True)
    results = models.ManyToManyField(Region, verbose_name=_("after"), related_name="changes_to", blank=True)

    class Meta:
        verbose_name = _("grid change")
        verbose_name_plural = _("grid changes")
        ordering = ["-effective_date", "-id"]

    def __str__(self):
        return f"{self.effective_date} {self.get_kind_display()}"


class RegionVersion(models.Model):
    """The state of one region during [valid_from, valid_to): the history that answers "as of date D"."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="versions")
    change = models.ForeignKey(GridChange, verbose_name=_("change"), null=True, on_delete=models.SET_NULL)
    valid_from = models.DateField(_("effective from"))
    valid_to = models.DateField(_("effective until"), null=True, blank=True)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=RegionStatus.choices)
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)

    class Meta:
        verbose_name = _("region version")
        verbose_name_plural = _("region versions")
        ordering = ["region_id", "valid_from", "id"]
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="regionversion_validity_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="regionversion_valid_range",
            )
        ]


class Layer(models.Model):
    """A grid layer: the base 综治 layer (the region tree itself), thematic layers, and merged (多网合一) layers."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=LayerKind.choices, default=LayerKind.THEMATIC)
    color = models.CharField(_("colour"), max_length=16, default="#3366cc")
    description = models.CharField(_("description"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("grid layer")
        verbose_name_plural = _("grid layers")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class LayerGrid(GeoFieldsMixin, TimeStampedModel):
    """A grid of a thematic or merged layer. Merged grids are made of whole base grids (``members``)."""

    layer = models.ForeignKey(Layer, verbose_name=_("layer"), on_delete=models.CASCADE, related_name="grids")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("within region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="layer_grids", help_text=_("The base-tree region that contains this grid (for scoping)."),
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    members = models.ManyToManyField(
        Region, verbose_name=_("base grids covered"), through="LayerGridMember", related_name="layer_grids_over",
        blank=True,
    )

    objects = ScopedQuerySet.as_manager()
    # Visible when it overlaps a base grid in the user's territory, or lies inside it.
    scope = Scope(path=("memberships__region__path", "region__path"), roles=TERRITORY_ROLES)

    class Meta:
        verbose_name = _("layer grid")
        verbose_name_plural = _("layer grids")
        ordering = ["layer", "code"]
        constraints = [models.UniqueConstraint(fields=["layer", "code"], name="layergrid_unique_code_per_layer")]

    def __str__(self):
        return f"{self.layer.name} · {self.name}"


class LayerGridMember(models.Model):
    """A base grid that a layer grid overlaps. ``whole``: the base grid lies entirely inside the layer grid.

    Merged (多网合一) grids consist only of whole members; a base grid is wholly inside at most one grid of a layer.
    """

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="+")
    layer_grid = models.ForeignKey(LayerGrid, on_delete=models.CASCADE, related_name="memberships")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="layer_memberships")
    whole = models.BooleanField(_("whole base grid"), default=True)

    class Meta:
        verbose_name = _("layer grid member")
        verbose_name_plural = _("layer grid members")
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "region"], condition=Q(whole=True), name="layergridmember_whole_once_per_layer"
            ),
            models.UniqueConstraint(fields=["layer_grid", "region"], name="layergridmember_unique"),
        ]
