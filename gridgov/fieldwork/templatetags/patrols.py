from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as "1 h 05 min" / "12 min"."""
    try:
        minutes = int(round(float(seconds) / 60))
    except (TypeError, ValueError):
        return "—"
    if minutes >= 60:
        return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(m)d min") % {"m": minutes}


@register.filter
def km(metres) -> str:
    try:
        return f"{float(metres) / 1000:.2f}"
    except (TypeError, ValueError):
        return "—"


@register.filter
def percent(share) -> str:
    try:
        return f"{float(share) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"


@register.inclusion_tag("fieldwork/_evidence_table.html")
def evidence_table(a: dict) -> dict:
    """An anomaly's evidence (``selectors.anomaly_out``) as a table: one row per item (``fieldwork.evidence``)."""
    from gridgov.fieldwork.evidence import evidence_rows

    return {"rows": evidence_rows(a["kind"], a["evidence"], a["day"], a["worker"]["id"])}


@register.simple_tag
def evidence_line(a: dict) -> str:
    """The evidence in one line, for the list."""
    from gridgov.fieldwork.evidence import evidence_summary

    return evidence_summary(a["kind"], a["evidence"])
