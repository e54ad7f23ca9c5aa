"""Row cleaning and resolution for the registry import (``gridgov.registry.imports``).

``clean_row`` turns one row of cells into field values or a list of errors (row, column header, masked cell,
reason): required fields, GB 11643 identity numbers, choice labels, dates, numbers, grid by code or by point inside
the uploader's area, tags. ``resolve_chunk`` finds the records a chunk of clean rows refers to (by the keyed hashes,
the household number, the credit code, or the 系统编号 of an export), refuses duplicates within the file and records
outside the uploader's area, and plans what to create and what to update (only the fields that change).

Cleaning rules that the registry's own forms need too (identity numbers, phones, credit codes) should move to
``gridgov/registry/validation.py`` when it exists; see docs/registry-import.md.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.masking import mask_id_number, mask_phone
from gridgov.regions.choices import GRID_LEVELS, RegionStatus
from gridgov.registry import idcard
from gridgov.registry.choices import Gender, IdType, ImportKind
from gridgov.registry.excel import Column, Layout

_TAG_SPLIT = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the Chinese header
    value: str  # the cell as it was, masked when it is an identity number or a phone
    reason: str


# ======================================================================================================================
# Context: what every row is checked against (the uploader's area, grids, tags) and the keys seen in the file
# ======================================================================================================================
@dataclass
class Context:
    user: object
    layout: Layout
    grid_by_code: dict  # code → id, active grids / micro-grids / special grids in the area
    grid_ids: set  # the same ids
    scope_ids: set  # every region id in the area (records in any of them may be updated)
    tag_by_name: dict  # name or code → tag id
    file_keys: dict = field(default_factory=dict)  # natural key → first row number
    targets: dict = field(default_factory=dict)  # existing record id → first row number

    @classmethod
    def build(cls, *, user, layout: Layout) -> "Context":
        from gridgov.regions.models import Region
        from gridgov.registry.models import Tag

        regions = Region.objects.restrict(user)
        grid_by_code, scope_ids = {}, set()
        for rid, code, level, status in regions.values_list("id", "code", "level", "status").iterator():
            scope_ids.add(rid)
            if level in GRID_LEVELS and status != RegionStatus.RETIRED:
                grid_by_code[code] = rid
        tags = {}
        for tid, code, name in Tag.objects.filter(is_active=True).values_list("id", "code", "name"):
            tags[code] = tid
            tags[name] = tid
        return cls(user=user, layout=layout, grid_by_code=grid_by_code, grid_ids=set(grid_by_code.values()),
                   scope_ids=scope_ids, tag_by_name=tags)

    def reset_file_keys(self) -> None:
        self.file_keys.clear()
        self.targets.clear()


# ======================================================================================================================
# Cells
# ======================================================================================================================
class Masked(str):
    """A cell that holds a masked number (from an export): it can only mean "unchanged"."""


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.strftime("%Y-%m-%d")
    return str(value).strip()


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def clean_cell(column: Column, value, context: Context):
    """(value, reason): the cleaned value of one cell, or None and why it is wrong."""
    kind = column.kind
    if kind in ("text", "grid"):
        text = _text(value)
        if column.max_length and len(text) > column.max_length:
            return None, _("At most %(n)d characters.") % {"n": column.max_length}
        return text, None
    if kind == "id":
        try:
            number = int(_text(value))
            if number <= 0:
                raise ValueError
            return number, None
        except ValueError:
            return None, _("The 系统编号 comes from an export: a whole number. Leave it empty for new records.")
    if kind in ("choice", "bool"):
        text = _text(value)
        mapping = column.choices
        if text in mapping:
            return mapping[text], None
        if kind == "choice" and text in {str(v) for v in mapping.values()}:
            return text, None
        return None, _("Must be one of: %(values)s.") % {"values": "、".join(mapping)}
    if kind == "date":
        try:
            day = _date(value)
        except ValueError:
            return None, _("Not a date; write it like 1990-03-07.")
        if day > timezone.localdate() or day.year < 1880:
            return None, _("The date %(date)s is not possible.") % {"date": day.isoformat()}
        return day, None
    if kind == "int":
        try:
            number = Decimal(_text(value))
            if number != number.to_integral_value() or number < 0 or number > 10_000_000:
                raise InvalidOperation
            return int(number), None
        except (InvalidOperation, ValueError):
            return None, _("Must be a whole number, 0 or more.")
    if kind == "decimal":
        try:
            number = Decimal(_text(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if number < 0 or number >= 10_000_000:
                raise InvalidOperation
            return number, None
        except (InvalidOperation, ValueError):
            return None, _("Must be a number, 0 or more, such as 89.5.")
    if kind == "float":
        try:
            number = float(_text(value))
        except ValueError:
            return None, _("Must be a number in decimal degrees, such as 113.85.")
        low, high = (-180, 180) if column.key == "lon" else (-90, 90)
        if not low <= number <= high:
            return None, _("Must be between %(low)d and %(high)d.") % {"low": low, "high": high}
        return number, None
    if kind == "document":
        text = _text(value)
        if "*" in text:
            return Masked(text), None
        return idcard.normalize_id("", text), None
    if kind == "phone":
        text = _text(value)
        return (Masked(text), None) if "*" in text else (text, None)
    if kind == "tags":
        ids, unknown = [], []
        for name in _TAG_SPLIT.split(_text(value)):
            if not name:
                continue
            if name in context.tag_by_name:
                ids.append(context.tag_by_name[name])
            else:
                unknown.append(name)
        if unknown:
            return None, _("Unknown tags: %(names)s. Choose them from the list.") % {"names": "、".join(unknown)}
        return sorted(set(ids)), None
    raise ValueError(kind)


def _shown(column: Column, value) -> str:
    text = _text(value) if value is not None else ""
    if column.kind == "document":
        return mask_id_number(text) if "*" not in text else text
    if column.kind == "phone":  # a short (invalid) number would show whole through the mask: hide it all
        return text if "*" in text else mask_phone(text) if len(text) >= 9 else "*" * len(text)
    return text[:60]


# ======================================================================================================================
# One row
# ======================================================================================================================
@dataclass
class Item:
    row: int
    fields: dict  # model field → value (only what the row gives, plus computed hashes)
    key: tuple | None  # natural key within the file and in the database
    record_id: int | None = None
    masked: dict = field(default_factory=dict)  # model field → masked text, meaning "unchanged"
    tags: list = field(default_factory=list)
    household: str = ""
    house_key: str = ""
    raw: dict = field(default_factory=dict)


# Our column keys → the field names of ``registry.validation`` (and back, for its errors).
TO_VALIDATION = {"grid": "grid_code", "household": "household_number"}
FROM_VALIDATION = {"grid_code": "grid", "household_number": "household", "house_address_key": "house_address",
                   "grid_id": "grid"}
# Values ``registry.validation`` derives from a column: kept only when that column was filled in.
DERIVED = {"id_hash": "id_number", "phone_hash": "phone", "address_key": "address", "birth_date": "id_number",
           "gender": "id_number", "house_address_key": "house_address"}
PRE_CHECKED = ("id", "choice", "bool", "document", "phone", "tags", "grid")


def clean_row(layout: Layout, number: int, raw: dict, context: Context) -> tuple[Item | None, list[RowError]]:
    """One row → an ``Item`` (only the fields the row fills in, plus what is derived from them), or its errors.

    Our own checks come first (choice labels of the template, masked numbers, tags, the 系统编号); the rest is
    ``registry.validation.clean_*`` — the same rules as the registry's forms and API."""
    from gridgov.registry import validation

    errors: list[RowError] = []
    values: dict = {}
    reported = set()

    def error(key: str, reason) -> None:
        if key in reported:
            return
        reported.add(key)
        column = layout.column(key)
        errors.append(RowError(number, column.header, _shown(column, raw.get(key)), str(reason)))

    for column in layout.columns:
        if column.key not in raw:
            if column.required:
                error(column.key, _("Required."))
            continue
        if column.kind not in PRE_CHECKED and column.kind != "date" and column.key not in ("lon", "lat"):
            values[column.key] = raw[column.key]
            continue
        value, reason = clean_cell(column, raw[column.key], context)
        if reason:
            error(column.key, reason)
        else:
            values[column.key] = value
    item = Item(row=number, fields={}, key=None, record_id=values.pop("id", None), raw=raw)
    masked = {k: v for k, v in values.items() if isinstance(v, Masked)}
    item.masked = {k: str(v) for k, v in masked.items()}
    item.tags = values.pop("tags", []) if layout.kind == ImportKind.PEOPLE else []
    row = {TO_VALIDATION.get(k, k): v for k, v in values.items() if k not in masked}
    if layout.kind == ImportKind.PEOPLE and "id_number" in masked:
        row["id_number"] = ""
    cleaned, problems = validation.CLEANERS[layout.kind](row)
    for name, reason in problems.items():
        key = FROM_VALIDATION.get(name, name)
        if key == "id_number" and "id_number" in masked:
            continue  # a masked number: checked against the stored one when the record is found
        if key == "grid" and item.record_id is not None:
            continue  # an update may keep the record's grid
        if any(c.key == key for c in layout.columns):
            error(key, reason)
        else:
            error(KEY_COLUMNS[layout.kind], reason)
    filled = set(values) | {"id"}
    for name, value in cleaned.items():
        key = FROM_VALIDATION.get(name, name)
        source = DERIVED.get(name, key)
        if source in filled and source not in masked and name not in ("grid_code", "lon", "lat", "tags",
                                                                        "household_number", "house_address",
                                                                        "house_room", "house_address_key", "grid_id"):
            item.fields[name] = value
    if layout.kind == ImportKind.PEOPLE and "id_number" in values and "id_number" not in masked:
        if values.get("gender") not in (None, Gender.UNKNOWN, cleaned.get("gender")) and "id_hash" in cleaned:
            error("gender", _("The identity number says %(gender)s.") % {
                "gender": "男" if cleaned["gender"] == Gender.MALE else "女"})
        if "birth_date" in values and values["birth_date"] != cleaned.get("birth_date") and "id_hash" in cleaned:
            error("birth_date", _("The identity number says %(date)s.") % {"date": cleaned["birth_date"]})
        if "id_type" not in values:
            item.fields["id_type"] = IdType.RESIDENT_ID
    if layout.kind == ImportKind.PEOPLE:
        item.household = cleaned.get("household_number", "") if "household" in values else ""
    if layout.kind == ImportKind.HOUSEHOLDS and "house_address" in values:
        item.house_key = cleaned.get("house_address_key", "")
    if layout.kind in (ImportKind.HOUSES, ImportKind.UNITS):
        item.fields.update({k: values[k] for k in ("lon", "lat") if k in values})
    _place(layout, item, values, context, error)
    if errors:
        return None, errors
    item.key = _key(layout.kind, item)
    key_owner = context.file_keys.setdefault(item.key, number) if item.key else number
    if key_owner != number:
        column = layout.column("id" if item.key[0] == "pk" else KEY_COLUMNS[layout.kind]
                               if item.key[0] != "gn" else "name")
        return None, [RowError(number, column.header, _shown(column, raw.get(column.key)),
                               _("Duplicate of row %(row)d in this file.") % {"row": key_owner})]
    return item, []


def _place(layout: Layout, item: Item, values: dict, context: Context, error) -> None:
    """The grid: by code, or by the point (through the grid index), inside the uploader's area."""
    code = values.get("grid", "")
    lon, lat = values.get("lon"), values.get("lat")
    if code:
        grid_id = context.grid_by_code.get(code)
        if grid_id is None:
            error("grid", _("No current grid with the code %(code)s in your area.") % {"code": code})
        else:
            item.fields["grid_id"] = grid_id
    elif lon is not None and lat is not None:
        from gridgov.regions.index import geo_index

        grid_id = geo_index.locate_id(lon, lat)
        if grid_id is None:
            error("lon", _("The point lies outside every grid."))
        elif grid_id not in context.grid_ids:
            error("lon", _("The point lies in a grid outside your area."))
        else:
            item.fields["grid_id"] = grid_id


def _key(kind, item: Item) -> tuple | None:
    f = item.fields
    if kind == ImportKind.PEOPLE and "id_hash" in f:
        return ("id", f["id_hash"])
    if kind == ImportKind.HOUSES and "address_key" in f:
        return ("addr", f["address_key"])
    if kind == ImportKind.HOUSEHOLDS and f.get("number"):
        return ("number", f["number"])
    if kind in (ImportKind.UNITS, ImportKind.ORGANISATIONS):
        if f.get("credit_code"):
            return ("cc", f["credit_code"])
        if item.record_id is None and "grid_id" in f and f.get("name"):
            return ("gn", f["grid_id"], f["name"])
    if item.record_id is not None:
        return ("pk", item.record_id)
    return None


KEY_COLUMNS = {ImportKind.PEOPLE: "id_number", ImportKind.HOUSES: "address", ImportKind.HOUSEHOLDS: "number",
               ImportKind.UNITS: "credit_code", ImportKind.ORGANISATIONS: "credit_code"}


# ======================================================================================================================
# A chunk: find the records, plan the writes
# ======================================================================================================================
def _model(kind):
    from gridgov.registry import models as m

    return {ImportKind.PEOPLE: m.Person, ImportKind.HOUSES: m.House, ImportKind.HOUSEHOLDS: m.Household,
            ImportKind.UNITS: m.Unit, ImportKind.ORGANISATIONS: m.Organisation}[kind]


@dataclass
class Plan:
    kind: str
    creates: list = field(default_factory=list)  # Item
    updates: list = field(default_factory=list)  # (obj, set of changed fields, new tag ids)
    unchanged: int = 0
    new_tags: dict = field(default_factory=dict)  # Item.row → tag ids for created people
    errors: list = field(default_factory=list)

    def write(self, *, actor) -> tuple[int, int, int]:
        """Create and update in bulk (the caller holds the transaction); returns (created, updated, unchanged)."""
        from gridgov.registry.models import PersonTag

        model = _model(self.kind)
        now = timezone.now()
        new_objs = []
        for item in self.creates:
            obj = model(**{**_defaults(self.kind), **item.fields})
            if self.kind == ImportKind.PEOPLE:
                obj.created_by = actor
            new_objs.append(obj)
        if new_objs:
            model.objects.bulk_create(new_objs, batch_size=500)
        changed_fields = set()
        for obj, changed, _tags in self.updates:
            obj.updated_at = now
            changed_fields |= changed
        if self.updates and changed_fields:
            model.objects.bulk_update([u[0] for u in self.updates], sorted(changed_fields | {"updated_at"}),
                                      batch_size=500)
        if self.kind == ImportKind.PEOPLE:
            links = [PersonTag(person_id=obj.pk, tag_id=t, added_by=actor)
                     for obj, item in zip(new_objs, self.creates) for t in item.tags]
            links += [PersonTag(person_id=obj.pk, tag_id=t, added_by=actor) for obj, _c, tags in self.updates
                      for t in tags]
            if links:
                PersonTag.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
        return len(new_objs), len(self.updates), self.unchanged


def _defaults(kind) -> dict:
    from gridgov.registry.excel import LAYOUTS

    return {c.key: c.default for c in LAYOUTS[kind].columns if c.default is not None}


def resolve_chunk(layout: Layout, items: list[Item], context: Context) -> Plan:
    kind = layout.kind
    model = _model(kind)
    plan = Plan(kind=kind)
    if not items:
        return plan
    by_pk, by_key = _existing(kind, model, items)
    households, houses = {}, {}
    if kind == ImportKind.PEOPLE:
        from gridgov.registry.models import Household

        numbers = {i.household for i in items if i.household}
        households = {h.number: h for h in Household.objects.filter(number__in=numbers)}
    if kind == ImportKind.HOUSEHOLDS:
        from gridgov.registry.models import House

        keys = {i.house_key for i in items if i.house_key}
        houses = {h.address_key: h for h in House.objects.filter(address_key__in=keys)}
    existing_tags: dict[int, set] = {}
    if kind == ImportKind.PEOPLE:
        from gridgov.registry.models import PersonTag

        ids = [o.pk for o in by_pk.values()] + [o.pk for o in by_key.values()]
        for pid, tid in PersonTag.objects.filter(person_id__in=ids).values_list("person_id", "tag_id"):
            existing_tags.setdefault(pid, set()).add(tid)

    for item in items:
        errors: list[RowError] = []

        def error(key: str, reason, errors=errors, item=item) -> None:
            column = layout.column(key)
            errors.append(RowError(item.row, column.header, _shown(column, item.raw.get(key)), str(reason)))

        target = None
        if item.record_id is not None:
            target = by_pk.get(item.record_id)
            if target is None or target.grid_id not in context.scope_ids:
                error("id", _("No record with this 系统编号 in your area; leave it empty for a new record."))
                plan.errors += errors
                continue
        match = by_key.get(item.key) if item.key and item.key[0] != "pk" else None
        if match is not None and match.grid_id not in context.scope_ids and match.is_active:
            error(KEY_COLUMNS[kind] if item.key[0] != "gn" else "name",
                  _("Already recorded in an area outside yours; ask the command centre to transfer it."))
        elif target is not None and match is not None and match.pk != target.pk:
            error(KEY_COLUMNS[kind], _("Already recorded as another record (系统编号 %(id)d).") % {"id": match.pk})
        target = target or match
        if target is not None:
            first = context.targets.setdefault(target.pk, item.row)
            if first != item.row:
                error("id", _("Duplicate of row %(row)d in this file.") % {"row": first})
        if "grid_id" not in item.fields and (target is None or target.grid_id not in context.scope_ids):
            error("grid", _("Give the grid code, or the longitude and latitude."))
        for name, shown in item.masked.items():
            stored = getattr(target, name, "") if target is not None else ""
            masker = mask_id_number if name == "id_number" else mask_phone
            if target is None or not stored or masker(stored) != shown:
                error(name, _("This masked number does not match the stored one: write the full number to change "
                              "it.") if target is not None else _("A masked number cannot be imported: write the "
                                                                  "full number."))
        fields = dict(item.fields)
        if kind == ImportKind.PEOPLE and item.household:
            household = households.get(item.household)
            if household is None or household.grid_id not in context.scope_ids:
                error("household", _("No household with this number in your area; import the households first."))
            else:
                fields["household_id"] = household.pk
                if household.house_id:
                    fields["house_id"] = household.house_id
        if kind == ImportKind.HOUSEHOLDS and item.house_key:
            house = houses.get(item.house_key)
            if house is None or house.grid_id not in context.scope_ids:
                error("house_address", _("No house with this address and room in your area; import the houses "
                                         "first."))
            else:
                fields["house_id"] = house.pk
        if errors:
            plan.errors += errors
            continue
        if target is None:
            plan.creates.append(Item(row=item.row, fields=fields, key=item.key, tags=item.tags))
            continue
        changed = set()
        if not target.is_active:
            target.is_active = True
            changed.add("is_active")
        for name, value in fields.items():
            if getattr(target, name) != value:
                setattr(target, name, value)
                changed.add(name)
        new_tags = sorted(set(item.tags) - existing_tags.get(target.pk, set()))
        if changed or new_tags:
            plan.updates.append((target, changed, new_tags))
        else:
            plan.unchanged += 1
    return plan


def _existing(kind, model, items: list[Item]) -> tuple[dict, dict]:
    """Existing records of a chunk: by id (系统编号) and by natural key."""
    ids = {i.record_id for i in items if i.record_id is not None}
    keys = [i.key for i in items if i.key and i.key[0] != "pk"]
    by_pk = {o.pk: o for o in model.objects.filter(pk__in=ids)} if ids else {}
    by_key: dict = {}
    if not keys:
        return by_pk, by_key
    if kind == ImportKind.PEOPLE:
        for o in model.objects.filter(id_hash__in=[k[1] for k in keys]):
            by_key[("id", o.id_hash)] = o
    elif kind == ImportKind.HOUSES:
        for o in model.objects.filter(address_key__in=[k[1] for k in keys]):
            by_key[("addr", o.address_key)] = o
    elif kind == ImportKind.HOUSEHOLDS:
        for o in model.objects.filter(number__in=[k[1] for k in keys]):
            by_key[("number", o.number)] = o
    else:
        codes = [k[1] for k in keys if k[0] == "cc"]
        if codes:
            for o in model.objects.filter(credit_code__in=codes):
                by_key[("cc", o.credit_code)] = o
        pairs = [k for k in keys if k[0] == "gn"]
        if pairs:
            found = model.objects.filter(grid_id__in={k[1] for k in pairs}, name__in={k[2] for k in pairs})
            for o in found.order_by("-is_active", "id"):
                by_key.setdefault(("gn", o.grid_id, o.name), o)
    return by_pk, by_key
