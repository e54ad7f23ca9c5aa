"""The registry of base data (人、房、户、单位、组织): houses and rooms, households, people, units and enterprises,
social organisations, and the tags that mark key persons and people needing care.

Identity numbers and phone numbers are encrypted at rest (``EncryptedTextField``) with a keyed hash next to them for
exact search and de-duplication (``gridgov.common.crypto``); they are masked in every output
(``gridgov.common.masking``) and revealed only through ``registry.services.person_reveal`` (permission, reason,
audit row). Everything is placed in a grid (``regions.Region``) and scoped by the region tree.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.common.fields import EncryptedTextField
from gridgov.common.models import TimeStampedModel
from gridgov.common.scoping import ScopedQuerySet
from gridgov.registry.choices import (
    Gender,
    HouseUse,
    IdType,
    ImportKind,
    ImportMode,
    ImportStatus,
    OrgKind,
    Rental,
    Residence,
    TagGroup,
    UnitKind,
)
from gridgov.registry.policy import RECORD_SCOPE


class Tag(models.Model):
    """A special group (重点人员) or a group needing care (关爱对象), with how often its people must be visited."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    group = models.CharField(_("group"), max_length=8, choices=TagGroup.choices)
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit at least every (days)"), default=0, help_text=_("0: no visits required because of this tag."))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class House(TimeStampedModel):
    """A dwelling or premises (房屋): a flat, a room, a rural house; optionally inside a building (楼栋)."""

    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="houses")
    address = models.CharField(_("address"), max_length=200)
    building = models.CharField(_("building"), max_length=100, blank=True)
    room = models.CharField(_("room"), max_length=50, blank=True)
    use = models.CharField(_("use"), max_length=16, choices=HouseUse.choices, default=HouseUse.SELF)
    rental = models.CharField(_("rental status"), max_length=16, choices=Rental.choices, default=Rental.NONE)
    area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=8, decimal_places=1, null=True, blank=True)
    owner_name = models.CharField(_("owner"), max_length=64, blank=True)
    owner_phone = EncryptedTextField(_("owner's phone"), blank=True, default="")
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address_key = models.CharField(_("address key"), max_length=64, unique=True, editable=False,
                                   help_text=_("Normalised address + room: one house once."))
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope = RECORD_SCOPE

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["address", "room"]
        indexes = [models.Index(fields=["grid", "is_active"], name="house_grid_idx")]

    def __str__(self):
        return f"{self.address} {self.room}".strip()


class Household(TimeStampedModel):
    """A household (户): the people living together in a house."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="households_registered")
    house = models.ForeignKey(House, verbose_name=_("house"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="households")
    residence = models.CharField(_("kind"), max_length=16, choices=Residence.choices, default=Residence.REGISTERED)
    head_name = models.CharField(_("head of household"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope = RECORD_SCOPE

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]
        indexes = [models.Index(fields=["grid", "is_active"], name="household_grid_idx")]

    def __str__(self):
        return self.number


class Person(TimeStampedModel):
    """A person living or working in the district: one row per person however many times entered (``id_hash``)."""

    name = models.CharField(_("name"), max_length=64)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True)
    residence = models.CharField(_("residence"), max_length=16, choices=Residence.choices,
                                 default=Residence.REGISTERED)
    id_type = models.CharField(_("document type"), max_length=16, choices=IdType.choices,
                               default=IdType.RESIDENT_ID)
    id_number = EncryptedTextField(_("document number"))
    id_hash = models.CharField(_("document hash"), max_length=64, unique=True, editable=False,
                               help_text=_("Keyed hash of document type and number: exact search and de-duplication."))
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_hash = models.CharField(_("phone hash"), max_length=64, blank=True, db_index=True, editable=False)
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="people")
    house = models.ForeignKey(House, verbose_name=_("house"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="residents")
    household = models.ForeignKey(Household, verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="members")
    relation = models.CharField(_("relation to the head"), max_length=16, blank=True)
    registered_address = models.CharField(_("registered address (户籍地)"), max_length=200, blank=True)
    current_address = models.CharField(_("current address"), max_length=200, blank=True)
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    nationality = models.CharField(_("nationality"), max_length=32, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), through="PersonTag", related_name="people",
                                  blank=True)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Cleared when the person moves away."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = RECORD_SCOPE

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["grid", "is_active"], name="person_grid_idx"),
                   models.Index(fields=["name"], name="person_name_idx")]

    def __str__(self):
        return self.name


class PersonTag(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="person_tags")
    tag = models.ForeignKey(Tag, verbose_name=_("tag"), on_delete=models.PROTECT, related_name="person_tags")
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("person's tag")
        verbose_name_plural = _("people's tags")
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="persontag_unique")]


class Unit(TimeStampedModel):
    """A unit or enterprise (单位、企业、个体工商户) in a grid."""

    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, default=UnitKind.ENTERPRISE)
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="units")
    address = models.CharField(_("address"), max_length=200, blank=True)
    legal_person = models.CharField(_("legal representative"), max_length=64, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True, default="")
    employees = models.PositiveIntegerField(_("employees"), default=0)
    is_key_site = models.BooleanField(_("key site (重点场所)"), default=False)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope = RECORD_SCOPE

    class Meta:
        verbose_name = _("unit / enterprise")
        verbose_name_plural = _("units and enterprises")
        ordering = ["name"]
        indexes = [models.Index(fields=["grid", "is_active"], name="unit_grid_idx")]
        constraints = [models.UniqueConstraint(fields=["credit_code"], condition=~Q(credit_code=""),
                                               name="unit_unique_credit_code")]

    def __str__(self):
        return self.name


class Organisation(TimeStampedModel):
    """A social organisation (社会组织) active in a grid."""

    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices, default=OrgKind.COMMUNITY)
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="organisations")
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=64, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True, default="")
    members = models.PositiveIntegerField(_("members"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope = RECORD_SCOPE

    class Meta:
        verbose_name = _("social organisation")
        verbose_name_plural = _("social organisations")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["credit_code"], condition=~Q(credit_code=""),
                                               name="organisation_unique_credit_code")]

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    """One upload of an Excel file into a registry: progress, outcome and the error report."""

    kind = models.CharField(_("registry"), max_length=16, choices=ImportKind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.VALID_ROWS)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    file = models.FileField(_("uploaded file"), upload_to="imports/", max_length=200)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_rows = models.PositiveIntegerField(_("rows created"), default=0)
    updated_rows = models.PositiveIntegerField(_("rows updated"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("rows unchanged"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    error_file = models.FileField(_("error report"), upload_to="imports/", max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        ordering = ["-created_at", "-id"]
