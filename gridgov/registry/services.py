"""Writes to the registry. Every service is keyword-only, takes ``actor``, runs in one transaction and writes its
audit row in it. Input is cleaned by ``registry.validation`` (the same functions the Excel import uses); bad input
raises ``ValidationFailed`` naming the field, and nothing changes.

One thing once: a person is found by the keyed hash of their document (``id_hash``), a house by its normalised
address (``address_key``), a household by its number, a unit or organisation by its credit code. Entering an
existing one again updates it (non-empty values win) and returns it with ``created=False``; it never makes a second
row. When the existing row lies outside the actor's area: a person who moved away (inactive) moves into the actor's
grid; an active one is refused with 409, so no one takes over another grid's records by typing a number.

Audit rows name fields, never their values: nothing personal goes into the audit detail or the logs, except the
purpose and the text a user gave for a reveal.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, check_length
from gridgov.common.models import AuditLog
from gridgov.regions.choices import GRID_LEVELS, RegionStatus
from gridgov.regions.index import geo_index
from gridgov.regions.models import Region
from gridgov.registry import policy, validation
from gridgov.registry.choices import RevealPurpose, TagGroup
from gridgov.registry.models import (
    House,
    Household,
    Organisation,
    Person,
    PersonTag,
    Tag,
    Unit,
)


@dataclass
class Saved:
    """What a create returns: the row, and whether it is new (False: an existing one was found and updated)."""

    obj: object
    created: bool
    changed: list


# --- helpers ---------------------------------------------------------------------------------------------------------
def _raise_errors(errors: dict) -> None:
    if errors:
        field, message = next(iter(errors.items()))
        raise ValidationFailed(message, field=field,
                               details=[{"field": f, "message": str(m)} for f, m in errors.items()])


def _require_writer(actor) -> None:
    if not policy.can_write(actor):
        raise PermissionDenied(_("Your role does not change the registry."))


def grid_resolve(*, actor, grid_id: int | None = None, grid_code: str = "", lon: float | None = None,
                 lat: float | None = None) -> Region:
    """The grid a record goes into: the one chosen (id or code), else the one containing the position. It must be a
    current grid (grid, micro-grid or special grid) inside the actor's area."""
    if grid_id or grid_code:
        qs = Region.objects.filter(level__in=GRID_LEVELS).exclude(status=RegionStatus.RETIRED)
        grid = qs.filter(pk=grid_id).first() if grid_id else qs.filter(code=grid_code.strip()).first()
        if grid is None or not policy.grid_in_scope(actor, grid):
            raise ValidationFailed(_("Unknown grid, or it is outside your area."), field="grid_code")
        return grid
    if lon is None or lat is None:
        raise ValidationFailed(_("Choose the grid, or give the position (longitude and latitude)."),
                               field="grid_code")
    found = geo_index.locate_id(lon, lat)
    grid = Region.objects.filter(pk=found).first() if found else None
    if grid is None:
        raise ValidationFailed(_("The position lies outside every grid of the district."), field="lon")
    if not policy.grid_in_scope(actor, grid):
        raise ValidationFailed(_("The position lies in %(grid)s, outside your area.") % {"grid": grid.name},
                               field="lon")
    return grid


def _grid_for(actor, values: dict) -> Region:
    return grid_resolve(actor=actor, grid_id=values.get("grid_id"), grid_code=values.get("grid_code", ""),
                        lon=values.get("lon"), lat=values.get("lat"))


def _apply(obj, values: dict, fields: list[str], *, only_filled: bool) -> list[str]:
    """Copy the named fields onto the row; returns the names that changed. ``only_filled``: blanks do not erase."""
    changed = []
    for field in fields:
        if field not in values:
            continue
        new = values[field]
        if only_filled and new in ("", None):
            continue
        if getattr(obj, field) != new:
            setattr(obj, field, new)
            changed.append(field)
    return changed


def _audit(actor, action: str, obj, *, changed=None, ip=None, **detail) -> None:
    if changed is not None:
        detail["fields"] = sorted(changed)
    audit_record(actor=actor, action=action, obj=obj, ip=ip, detail=detail)


# --- people ----------------------------------------------------------------------------------------------------------
PERSON_FIELDS = ["name", "id_type", "id_number", "id_hash", "gender", "birth_date", "ethnicity", "residence", "phone",
                 "phone_hash", "relation", "registered_address", "current_address", "workplace", "nationality"]


def _tags(actor, names: list[str]) -> list[Tag]:
    if not names:
        return []
    tags = {t.code: t for t in Tag.objects.filter(is_active=True)}
    by_name = {t.name: t for t in tags.values()}
    result = []
    for name in names:
        tag = tags.get(name) or by_name.get(name)
        if tag is None or (tag.group == TagGroup.KEY and not policy.can_see_key_tags(actor)):
            raise ValidationFailed(_("Unknown tag %(tag)s.") % {"tag": name}, field="tags")
        result.append(tag)
    return result


def _household(actor, number: str, grid: Region) -> Household | None:
    if not number:
        return None
    household = Household.objects.restrict(actor).filter(number=number).first()
    if household is None:
        raise ValidationFailed(_("Unknown household %(number)s, or it is outside your area.") % {"number": number},
                               field="household_number")
    return household


def _set_tags(actor, person: Person, tags: list[Tag], *, replace: bool) -> list[str]:
    """Add the tags (and, with ``replace``, remove the visible ones not listed); returns the codes changed.
    Tags the actor may not see are never touched."""
    current = {pt.tag.code: pt for pt in person.person_tags.select_related("tag")}
    wanted = {t.code: t for t in tags}
    changed = []
    for code, tag in wanted.items():
        if code not in current:
            PersonTag.objects.create(person=person, tag=tag, since=dt.date.today(), added_by=_real(actor))
            changed.append(code)
    if replace:
        for code, pt in current.items():
            if code not in wanted and (pt.tag.group != TagGroup.KEY or policy.can_see_key_tags(actor)):
                pt.delete()
                changed.append(code)
    return changed


def _real(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def person_create(*, actor, data: dict, ip: str | None = None) -> Saved:
    """Record a person, or — when the document is already recorded — update that person (non-empty values win,
    tags are added). Returns ``Saved(person, created, changed)``."""
    _require_writer(actor)
    values, errors = validation.clean_person(data)
    _raise_errors(errors)
    grid = _grid_for(actor, values)
    tags = _tags(actor, values["tags"])
    household = _household(actor, values.get("household_number", ""), grid)
    with transaction.atomic():
        locked = Person.objects.select_for_update(of=("self",)).select_related("grid")
        existing = locked.filter(id_hash=values["id_hash"]).first()
        if existing is None:
            person = Person(grid=grid, household=household, house=household.house if household else None,
                            created_by=_real(actor))
            _apply(person, values, PERSON_FIELDS, only_filled=False)
            try:
                with transaction.atomic():
                    person.save()
            except IntegrityError:  # entered twice at the same moment: the other one won, update it
                existing = locked.get(id_hash=values["id_hash"])
            else:
                _set_tags(actor, person, tags, replace=False)
                _audit(actor, "registry.person.create", person, ip=ip, grid=grid.code)
                return Saved(person, True, [])
        return _person_reenter(actor, existing, values, grid, tags, household, ip)


def _person_reenter(actor, person: Person, values, grid, tags, household, ip) -> Saved:
    in_scope = policy.grid_in_scope(actor, person.grid)
    if not in_scope and person.is_active:
        # Never name the place: that would tell the writer where a person outside their area lives.
        raise Conflict(_("Already recorded in an area outside yours; ask the command centre to transfer it."),
                       field="id_number", code="recorded_elsewhere")
    changed = _apply(person, values, PERSON_FIELDS, only_filled=True)
    if not in_scope or not person.is_active:  # moved in from elsewhere, or back
        moved_from = person.grid.code
        person.grid, person.is_active = grid, True
        changed += ["grid", "is_active"]
    else:
        moved_from = None
    if household is not None and person.household_id != household.pk:
        person.household, person.house = household, household.house
        changed.append("household")
    if changed:
        person.save()
    tag_changes = _set_tags(actor, person, tags, replace=False)
    detail = {"moved_from": moved_from} if moved_from else {}
    _audit(actor, "registry.person.reenter", person, changed=changed + [f"tag:{c}" for c in tag_changes], ip=ip,
           **detail)
    return Saved(person, False, changed)


def _person_row(person: Person) -> dict:
    row = {f: getattr(person, f) for f in PERSON_FIELDS if not f.endswith("_hash")}
    row.update(grid_id=person.grid_id, household_number=person.household.number if person.household_id else "")
    return row


def person_update(*, actor, person_id: int, data: dict, ip: str | None = None) -> Person:
    """Change a person: the fields given replace the stored ones (blanks erase); ``tags`` replaces the tags the
    actor may see; ``is_active`` false records a move out."""
    from gridgov.registry.selectors import access_person

    _require_writer(actor)
    with transaction.atomic():
        person = access_person(actor, person_id, for_update=True)
        row = _person_row(person)
        row.update({k: v for k, v in data.items() if k not in ("grid_id", "grid_code", "lon", "lat", "tags")})
        if any(data.get(k) not in (None, "") for k in ("grid_id", "grid_code", "lon", "lat")):
            row.update(grid_id=data.get("grid_id"), grid_code=data.get("grid_code", ""), lon=data.get("lon"),
                       lat=data.get("lat"))
        values, errors = validation.clean_person(row)
        _raise_errors(errors)
        grid = _grid_for(actor, values) if values.get("grid_id") != person.grid_id else person.grid
        if values["id_hash"] != person.id_hash and Person.objects.filter(id_hash=values["id_hash"]).exists():
            raise Conflict(_("Another person is already recorded with this document number."), field="id_number",
                           code="duplicate")
        changed = _apply(person, values, PERSON_FIELDS, only_filled=False)
        if grid.pk != person.grid_id:
            person.grid = grid
            changed.append("grid")
        household = _household(actor, values.get("household_number", ""), grid)
        if (household.pk if household else None) != person.household_id:
            person.household, person.house = household, household.house if household else None
            changed.append("household")
        if "is_active" in data and bool(data["is_active"]) != person.is_active:
            person.is_active = bool(data["is_active"])
            changed.append("is_active")
        if changed:
            person.save()
        if "tags" in data:
            changed += [f"tag:{c}" for c in _set_tags(actor, person, _tags(actor, validation.tag_list(data["tags"])),
                                                       replace=True)]
        _audit(actor, "registry.person.update", person, changed=changed, ip=ip)
    return person


def person_tag_add(*, actor, person_id: int, tag_code: str, since: dt.date | None = None, note: str = "",
                   ip: str | None = None) -> PersonTag:
    from gridgov.registry.selectors import access_person

    _require_writer(actor)
    tag = _tags(actor, [tag_code])[0]
    note = check_length(note, 200, "note")
    with transaction.atomic():
        person = access_person(actor, person_id, for_update=True)
        person_tag, created = PersonTag.objects.get_or_create(
            person=person, tag=tag, defaults={"since": since or dt.date.today(), "note": note,
                                              "added_by": _real(actor)})
        if created:
            _audit(actor, "registry.person.tag_add", person, ip=ip, tag=tag.code)
    return person_tag


def person_tag_remove(*, actor, person_id: int, tag_code: str, ip: str | None = None) -> bool:
    from gridgov.registry.selectors import access_person

    _require_writer(actor)
    tag = _tags(actor, [tag_code])[0]
    with transaction.atomic():
        person = access_person(actor, person_id, for_update=True)
        deleted, _rows = PersonTag.objects.filter(person=person, tag=tag).delete()
        if deleted:
            _audit(actor, "registry.person.tag_remove", person, ip=ip, tag=tag.code)
    return bool(deleted)


def reveal_reason_problems(purpose: str | None, reason: str) -> tuple[str, str, list[dict]]:
    """(purpose, reason, problems) of a reveal's why: a purpose from ``RevealPurpose`` and a free text, which
    "other" requires and which must then say something (at least ``REVEAL_REASON_MIN`` letters or characters, at
    least ``REVEAL_REASON_DISTINCT`` different ones). A text without a purpose (the first API) counts as "other".
    ``problems`` lists every one as {field, message}."""
    reason = " ".join((reason or "").split())
    purpose = (purpose or "").strip() or (RevealPurpose.OTHER if reason else "")
    problems = []
    if not purpose:
        problems.append({"field": "purpose", "message": _("Choose why you need to see it.")})
    elif purpose not in RevealPurpose.values:
        problems.append({"field": "purpose", "message": _("Choose one of the listed purposes.")})
    if len(reason) > policy.REVEAL_REASON_MAX:
        problems.append({"field": "reason", "message": _("At most %(limit)d characters; this has %(count)d.")
                         % {"limit": policy.REVEAL_REASON_MAX, "count": len(reason)}})
    elif purpose == RevealPurpose.OTHER:
        letters = [c for c in reason if c.isalnum()]
        if len(letters) < policy.REVEAL_REASON_MIN or len(set(letters)) < policy.REVEAL_REASON_DISTINCT:
            problems.append({"field": "reason", "message": _(
                'For "other", say what for (at least %(n)d characters, not one letter repeated).')
                % {"n": policy.REVEAL_REASON_MIN}})
    return purpose, reason, problems


def person_reveal(*, actor, person_id: int, field: str, reason: str = "", purpose: str | None = None,
                  ip: str | None = None) -> str:
    """The clear value of a person's identity number or phone, for a role that may reveal it, for a purpose (and a
    text: see ``reveal_reason_problems``); one audit row per reveal (who, which person and field, the purpose and
    the text, from where). Never cached: call it each time."""
    from gridgov.registry.selectors import access_person

    if not policy.can_reveal(actor):
        audit_record(actor=actor, action="registry.person.reveal", object_type="registry.person",
                     object_id=person_id, outcome=AuditLog.Outcome.DENIED, ip=ip, detail={"field": field})
        raise PermissionDenied(_("Your role may not reveal personal data."))
    if field not in policy.REVEAL_FIELDS:
        raise ValidationFailed(_("Only the document number or the phone can be revealed."), field="field")
    purpose, reason, problems = reveal_reason_problems(purpose, reason)
    if problems:
        raise ValidationFailed(problems[0]["message"], field=problems[0]["field"],
                               details=problems if len(problems) > 1 else None)
    with translation.override(settings.LANGUAGE_CODE):  # the auditors read the label in the site's language
        label = str(RevealPurpose(purpose).label)
    with transaction.atomic():
        person = access_person(actor, person_id)
        _audit(actor, "registry.person.reveal", person, ip=ip, field=field, purpose=purpose, purpose_label=label,
               reason=reason)
    return getattr(person, field)


# --- houses, households, units, organisations -------------------------------------------------------------------
HOUSE_FIELDS = ["address", "building", "room", "address_key", "use", "rental", "area_m2", "owner_name", "owner_phone",
                "lon", "lat"]
HOUSEHOLD_FIELDS = ["number", "residence", "head_name"]
UNIT_FIELDS = ["name", "credit_code", "kind", "address", "legal_person", "contact_phone", "employees", "is_key_site",
               "lon", "lat"]
ORGANISATION_FIELDS = ["name", "credit_code", "kind", "address", "contact_name", "contact_phone", "members"]


@dataclass(frozen=True)
class _Kind:
    model: type
    clean: object
    fields: list
    key: str  # the field that makes a row unique ("" when none)
    label: str  # audit action prefix


HOUSE = _Kind(House, validation.clean_house, HOUSE_FIELDS, "address_key", "registry.house")
HOUSEHOLD = _Kind(Household, validation.clean_household, HOUSEHOLD_FIELDS, "number", "registry.household")
UNIT = _Kind(Unit, validation.clean_unit, UNIT_FIELDS, "credit_code", "registry.unit")
ORGANISATION = _Kind(Organisation, validation.clean_organisation, ORGANISATION_FIELDS, "credit_code",
                     "registry.organisation")


def _house_for_household(actor, values: dict) -> House | None:
    key = values.get("house_address_key")
    if not key:
        return None
    house = House.objects.restrict(actor).filter(address_key=key).first()
    if house is None:
        raise ValidationFailed(_("No house at this address in your area: record the house first."),
                               field="house_address")
    return house


def _create(kind: _Kind, *, actor, data: dict, ip) -> Saved:
    _require_writer(actor)
    values, errors = kind.clean(data)
    _raise_errors(errors)
    grid = _grid_for(actor, values)
    extra = {}
    if kind is HOUSEHOLD:
        extra["house"] = _house_for_household(actor, values)
    key_value = values.get(kind.key) if kind.key else ""
    with transaction.atomic():
        existing = None
        if key_value:
            existing = kind.model.objects.select_for_update(of=("self",)).select_related("grid").filter(
                **{kind.key: key_value}).first()
        if existing is None:
            obj = kind.model(grid=grid, **extra)
            _apply(obj, values, kind.fields, only_filled=False)
            try:
                with transaction.atomic():
                    obj.save()
            except IntegrityError:
                existing = kind.model.objects.select_for_update(of=("self",)).select_related("grid").get(
                    **{kind.key: key_value})
            else:
                _audit(actor, f"{kind.label}.create", obj, ip=ip, grid=grid.code)
                return Saved(obj, True, [])
        if not policy.grid_in_scope(actor, existing.grid):
            raise Conflict(_("Already recorded in an area outside yours; ask the command centre to transfer it."),
                           field=kind.key, code="recorded_elsewhere")
        changed = _apply(existing, values, kind.fields, only_filled=True)
        if extra.get("house") is not None and existing.house_id != extra["house"].pk:
            existing.house = extra["house"]
            changed.append("house")
        if changed:
            existing.save()
        _audit(actor, f"{kind.label}.reenter", existing, changed=changed, ip=ip)
        return Saved(existing, False, changed)


def _row(kind: _Kind, obj) -> dict:
    row = {f: getattr(obj, f) for f in kind.fields if f != "address_key"}
    row["grid_id"] = obj.grid_id
    if kind is HOUSEHOLD and obj.house_id:
        row.update(house_address=obj.house.address, house_room=obj.house.room)
    return row


def _update(kind: _Kind, *, actor, obj_id: int, data: dict, ip):
    from gridgov.registry.selectors import access

    _require_writer(actor)
    with transaction.atomic():
        obj = access(kind.model, actor, obj_id, for_update=True)
        row = _row(kind, obj)
        row.update({k: v for k, v in data.items() if k not in ("grid_id", "grid_code", "lon", "lat")})
        if any(data.get(k) not in (None, "") for k in ("grid_id", "grid_code", "lon", "lat")):
            row.update(grid_id=data.get("grid_id"), grid_code=data.get("grid_code", ""), lon=data.get("lon"),
                       lat=data.get("lat"))
        values, errors = kind.clean(row)
        _raise_errors(errors)
        grid = _grid_for(actor, values) if values.get("grid_id") != obj.grid_id else obj.grid
        key_value = values.get(kind.key) if kind.key else ""
        if key_value and key_value != getattr(obj, kind.key) and \
                kind.model.objects.filter(**{kind.key: key_value}).exclude(pk=obj.pk).exists():
            raise Conflict(_("Another record already has this value."), field=kind.key, code="duplicate")
        changed = _apply(obj, values, kind.fields, only_filled=False)
        if grid.pk != obj.grid_id:
            obj.grid = grid
            changed.append("grid")
        if kind is HOUSEHOLD:
            house = _house_for_household(actor, values)
            if (house.pk if house else None) != obj.house_id:
                obj.house = house
                changed.append("house")
        if "is_active" in data and bool(data["is_active"]) != obj.is_active:
            obj.is_active = bool(data["is_active"])
            changed.append("is_active")
        if changed:
            obj.save()
        _audit(actor, f"{kind.label}.update", obj, changed=changed, ip=ip)
    return obj


def house_create(*, actor, data: dict, ip: str | None = None) -> Saved:
    """Record a house (one address + room once: an existing one is updated and returned)."""
    return _create(HOUSE, actor=actor, data=data, ip=ip)


def house_update(*, actor, house_id: int, data: dict, ip: str | None = None) -> House:
    return _update(HOUSE, actor=actor, obj_id=house_id, data=data, ip=ip)


def household_create(*, actor, data: dict, ip: str | None = None) -> Saved:
    return _create(HOUSEHOLD, actor=actor, data=data, ip=ip)


def household_update(*, actor, household_id: int, data: dict, ip: str | None = None) -> Household:
    return _update(HOUSEHOLD, actor=actor, obj_id=household_id, data=data, ip=ip)


def unit_create(*, actor, data: dict, ip: str | None = None) -> Saved:
    return _create(UNIT, actor=actor, data=data, ip=ip)


def unit_update(*, actor, unit_id: int, data: dict, ip: str | None = None) -> Unit:
    return _update(UNIT, actor=actor, obj_id=unit_id, data=data, ip=ip)


def organisation_create(*, actor, data: dict, ip: str | None = None) -> Saved:
    return _create(ORGANISATION, actor=actor, data=data, ip=ip)


def organisation_update(*, actor, organisation_id: int, data: dict, ip: str | None = None) -> Organisation:
    return _update(ORGANISATION, actor=actor, obj_id=organisation_id, data=data, ip=ip)


__all__ = ["NotFound", "Saved", "grid_resolve", "person_create", "person_update", "person_reveal", "person_tag_add",
           "person_tag_remove", "house_create", "house_update", "household_create", "household_update",
           "unit_create", "unit_update", "organisation_create", "organisation_update"]
