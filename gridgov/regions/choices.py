from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("district")
    STREET = "street", _("street / town")
    COMMUNITY = "community", _("community / village")
    GRID = "grid", _("grid")
    MICRO = "micro", _("micro-grid")
    SPECIAL = "special", _("special grid")


# Depth of each level in the tree (special grids sit inside a base grid, like micro-grids).
LEVEL_DEPTH = {Level.DISTRICT: 0, Level.STREET: 1, Level.COMMUNITY: 2, Level.GRID: 3, Level.MICRO: 4, Level.SPECIAL: 4}
# Which parent level each level requires.
PARENT_LEVEL = {
    Level.STREET: {Level.DISTRICT},
    Level.COMMUNITY: {Level.STREET},
    Level.GRID: {Level.COMMUNITY},
    Level.MICRO: {Level.GRID},
    Level.SPECIAL: {Level.GRID},
}
GRID_LEVELS = {Level.GRID, Level.MICRO, Level.SPECIAL}


class AreaType(models.TextChoices):
    URBAN = "urban", _("urban")
    RURAL = "rural", _("rural")


class SpecialKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    INSTITUTION = "institution", _("institution")
    SCHOOL = "school", _("school")
    HOSPITAL = "hospital", _("hospital")
    HOTEL = "hotel", _("hotel")
    MARKET = "market", _("market")
    ESTATE = "estate", _("residential estate")
    OTHER = "other", _("other")


class RegionStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    RESERVED = "reserved", _("reserved")
    RETIRED = "retired", _("retired")


class ChangeKind(models.TextChoices):
    CREATE = "create", _("created")
    IMPORT = "import", _("imported")
    BOUNDARY = "boundary", _("boundary changed")
    ATTRIBUTES = "attributes", _("attributes changed")
    SPLIT = "split", _("split")
    MERGE = "merge", _("merged")
    RESERVE = "reserve", _("reserved")
    ACTIVATE = "activate", _("activated")
    RETIRE = "retire", _("retired")


class LayerKind(models.TextChoices):
    BASE = "base", _("base layer (comprehensive governance)")
    THEMATIC = "thematic", _("thematic layer")
    MERGED = "merged", _("merged layer (multi-grid integration)")
