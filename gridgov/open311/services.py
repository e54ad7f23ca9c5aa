"""Writes of the Open311 interface: a client's service request becomes a case through the one intake service."""

from gridgov.common.audit import audit_record
from gridgov.events.models import Event
from gridgov.events.services import Report, event_report
from gridgov.open311.models import Open311Client


def open311_request_create(*, client: Open311Client, report: Report, ip: str | None = None) -> Event:
    """Take in a client's request (``report.channel`` is Open311) like any other case — located, checked against the
    district, linked to duplicates, routed and dispatched — and audit which client sent it."""
    event = event_report(actor=None, report=report)
    audit_record(actor=None, action="open311.request", obj=event, ip=ip,
                 detail={"client": client.name, "client_id": client.pk, "number": event.number})
    return event
