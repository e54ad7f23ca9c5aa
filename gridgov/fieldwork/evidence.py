"""An anomaly's evidence for people: one row per item, named in the user's language, with local (Asia/Shanghai)
times, distances in m or km, durations in seconds, minutes or hours, speeds in km/h, shares in per cent, positions
linked to the map and records linked to their pages. ``evidence_rows`` is the table of the anomaly's page,
``evidence_summary`` the one line of the list; both read the evidence as ``rules.py`` writes it (times are ISO 8601
in UTC), and an item they do not know is shown as it is rather than hidden."""

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.fieldwork.choices import AnomalyKind

MAP_ZOOM = 16


@dataclass
class Row:
    label: str
    value: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url)


# -- units -------------------------------------------------------------------------------------------------------------
def _num(value, digits: int = 1) -> str:
    """1.0 → "1", 1.25 → "1.3" (no trailing zeros)."""
    text = f"{float(value):.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def distance(metres) -> str:
    try:
        m = float(metres)
    except (TypeError, ValueError):
        return "—"
    return _("%(n)s m") % {"n": _num(m, 0 if m >= 100 else 1)} if m < 1000 \
        else _("%(n)s km") % {"n": f"{m / 1000:.2f}"}


def duration(seconds) -> str:
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return "—"
    if s < 60:
        return _("%(n)s s") % {"n": _num(s)}
    minutes = s / 60
    if minutes < 120:
        return _("%(n)s min") % {"n": _num(minutes)}
    return _("%(h)d h %(m)02d min") % {"h": int(minutes // 60), "m": round(minutes % 60)}


def minutes(value) -> str:
    try:
        return duration(float(value) * 60)
    except (TypeError, ValueError):
        return "—"


def speed(kmh) -> str:
    return "—" if kmh is None else _("%(n)s km/h") % {"n": _num(kmh, 0)}


def percent(share) -> str:
    try:
        return f"{float(share) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"


def hours(value) -> str:
    try:
        return _("%(n)s h") % {"n": _num(abs(float(value)))}
    except (TypeError, ValueError):
        return "—"


def local_time(value, day: dt.date | None = None) -> str:
    """An ISO time (UTC or with an offset) in Asia/Shanghai: "08:12:05" on the anomaly's day, else with the date."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    moment = timezone.localtime(moment)
    return f"{moment:%H:%M:%S}" if moment.date() == day else f"{moment:%Y-%m-%d %H:%M}"


def map_link(point: dict, text: str) -> tuple[str, str] | None:
    try:
        lon, lat = float(point["lon"]), float(point["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    return text, f"{reverse('web:map')}#{MAP_ZOOM}/{lat:.6f}/{lon:.6f}/pin"


def _links(*links) -> list[tuple[str, str]]:
    return [link for link in links if link]


# -- one kind each ------------------------------------------------------------------------------------------------------
def _impossible_speed(e: dict, day, worker_id) -> list[Row]:
    rows = [Row(_("Number of jumps"), _("%(n)s times") % {"n": e.get("jumps", "—")}),
            Row(_("Highest speed"), _("%(speed)s (limit %(limit)s)") % {
                "speed": speed(e.get("max_kmh")), "limit": speed(e.get("limit_kmh"))})]
    for i, jump in enumerate(e.get("examples") or [], 1):
        start, end = jump.get("from") or {}, jump.get("to") or {}
        value = _("%(start)s → %(end)s, %(distance)s in %(duration)s, about %(speed)s") % {
            "start": local_time(start.get("t"), day), "end": local_time(end.get("t"), day),
            "distance": distance(jump.get("metres")), "duration": duration(jump.get("seconds")),
            "speed": speed(jump.get("kmh"))}
        rows.append(Row(_("Jump %(n)d") % {"n": i}, value,
                        _links(map_link(start, _("start point")), map_link(end, _("end point")))))
    return rows


def _no_movement(e: dict, day, worker_id) -> list[Row]:
    centre = e.get("centre") or {}
    return [
        Row(_("Standing still for"), _("%(duration)s (%(start)s – %(end)s)") % {
            "duration": minutes(e.get("minutes")), "start": local_time(e.get("from"), day),
            "end": local_time(e.get("to"), day)}),
        Row(_("Moved within"), _("%(radius)s of one spot (limit %(limit)s)") % {
            "radius": distance(e.get("radius_m")), "limit": distance(e.get("limit_m"))}),
        Row(_("Positions recorded"), str(e.get("points", "—"))),
        Row(_("Where it stood"), f"{centre.get('lat', '—')}, {centre.get('lon', '—')}",
            _links(map_link(centre, _("on the map")))),
    ]


def _copied_track(e: dict, day, worker_id) -> list[Row]:
    other = e.get("same_as_day")
    replay = [(_("replay that day"), reverse("fieldwork:replay", args=[worker_id, other]))] if other else []
    shift = e.get("shift_hours")
    return [
        Row(_("Same as the day"), str(other or "—"), replay),
        Row(_("Similarity"), _("%(share)s of the positions (limit %(limit)s)") % {
            "share": percent(e.get("similarity")), "limit": percent(e.get("threshold"))}),
        Row(_("Positions recorded"), _("%(mine)s this day, %(other)s that day") % {
            "mine": e.get("points", "—"), "other": e.get("other_points", "—")}),
        Row(_("Shifted in time by"), hours(shift) if shift is not None else "—"),
    ]


def _outside_grid(e: dict, day, worker_id) -> list[Row]:
    return [
        Row(_("Share of time outside own grids"), _("%(share)s (limit %(limit)s)") % {
            "share": percent(e.get("outside_share")), "limit": percent(e.get("limit"))}),
        Row(_("Time on patrol"), minutes(e.get("minutes_on_patrol"))),
        Row(_("Time inside own grids"), minutes(e.get("minutes_inside"))),
    ]


def _month_end_burst(e: dict, day, worker_id) -> list[Row]:
    names = {"events": _("Reports filed"), "visits": _("Visits logged")}
    rows = []
    for what, part in e.items():
        if not isinstance(part, dict):
            continue
        rows.append(Row(str(names.get(what, what)), _(
            "%(late)s of %(total)s in the last %(days)s days of the month, from %(first)s (%(share)s; limit "
            "%(limit)s)") % {"late": part.get("in_last_days", "—"), "total": part.get("records", "—"),
                             "days": part.get("last_days", "—"), "first": part.get("from", "—"),
                             "share": percent(part.get("share")), "limit": percent(part.get("threshold"))}))
    return rows


def _quick_mediation(e: dict, day, worker_id) -> list[Row]:
    from gridgov.disputes.selectors import dispute_numbers

    ids = [pk for pk in e.get("ids") or [] if isinstance(pk, int)]
    numbers = dispute_numbers(ids)
    links = [(numbers.get(pk, f"#{pk}"), reverse("disputes:detail", args=[pk])) for pk in ids]
    return [
        Row(_("Disputes settled"), _("%(n)s (limit %(limit)s)") % {
            "n": _("%(n)s disputes") % {"n": e.get("disputes", "—")},
            "limit": _("%(n)s disputes") % {"n": e.get("threshold", "—")}}),
        Row(_("All within"), minutes(e.get("window_minutes"))),
        Row(_("First and last settled"), f"{local_time(e.get('from'), day)} – {local_time(e.get('to'), day)}"),
        Row(_("The disputes"), "", links),
    ]


KINDS = {AnomalyKind.IMPOSSIBLE_SPEED: _impossible_speed, AnomalyKind.NO_MOVEMENT: _no_movement,
         AnomalyKind.COPIED_TRACK: _copied_track, AnomalyKind.OUTSIDE_GRID: _outside_grid,
         AnomalyKind.MONTH_END_BURST: _month_end_burst, AnomalyKind.QUICK_MEDIATION: _quick_mediation}


def evidence_rows(kind: str, evidence, day: dt.date | str | None, worker_id: int) -> list[Row]:
    """The evidence as rows of a table; an evidence the rules did not write shows its items as they are."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    if not isinstance(evidence, dict):
        return [Row(_("Evidence"), str(evidence))]
    try:
        return KINDS[kind](evidence, day, worker_id)
    except (KeyError, TypeError, ValueError, AttributeError):  # an unknown kind or an older evidence shape
        return [Row(str(k), str(v)) for k, v in evidence.items()]


def evidence_summary(kind: str, evidence) -> str:
    """One line for the list."""
    e = evidence if isinstance(evidence, dict) else {}
    try:
        if kind == AnomalyKind.IMPOSSIBLE_SPEED:
            return _("%(n)s jumps, up to %(speed)s") % {"n": e.get("jumps", "—"), "speed": speed(e.get("max_kmh"))}
        if kind == AnomalyKind.NO_MOVEMENT:
            return _("%(duration)s within %(radius)s") % {"duration": minutes(e.get("minutes")),
                                                          "radius": distance(e.get("radius_m"))}
        if kind == AnomalyKind.COPIED_TRACK:
            return _("same as %(day)s (%(share)s alike)") % {"day": e.get("same_as_day", "—"),
                                                             "share": percent(e.get("similarity"))}
        if kind == AnomalyKind.OUTSIDE_GRID:
            return _("%(share)s of the time outside own grids") % {"share": percent(e.get("outside_share"))}
        if kind == AnomalyKind.MONTH_END_BURST:
            return "；".join(f"{row.label}：{row.value}" for row in _month_end_burst(e, None, None))
        if kind == AnomalyKind.QUICK_MEDIATION:
            return _("%(n)s disputes settled within %(window)s") % {"n": e.get("disputes", "—"),
                                                                   "window": minutes(e.get("window_minutes"))}
    except (TypeError, ValueError, AttributeError):
        pass
    return ""
