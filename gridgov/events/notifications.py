"""Outbox topics owned by events: notices to the departments a case goes to, and 12345 result callbacks.

The ``enqueue_*`` functions are called by ``gridgov.events.services`` inside the service's transaction, so a notice
exists exactly when the move committed. The ``deliver_*`` handlers run later in ``gridgov worker`` (at least once:
they may run twice for one message); ``EventsConfig.ready`` registers them (``gridgov.common.outbox.register``), and
``gridgov.events.hotline.hotline_callback_send`` as the handler of the 12345 callbacks.
"""

import logging

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.common.notify import notify
from gridgov.common.outbox import Message, outbox_put, outbox_put_many
from gridgov.common.roles import Role
from gridgov.events.choices import Channel, Status

log = logging.getLogger("gridgov.events.notifications")

ASSIGNED = "event.assigned"
SUPERVISED = "event.supervised"
HOTLINE_CALLBACK = "hotline.callback"


# --- enqueue: inside the caller's transaction -------------------------------------------------------------------
def enqueue_assigned(event, department_ids: list[int]) -> None:
    outbox_put(topic=ASSIGNED, payload={"event_id": event.pk, "department_ids": list(dict.fromkeys(department_ids))})


def enqueue_supervised(event) -> None:
    outbox_put(topic=SUPERVISED, payload={"event_id": event.pk, "department_id": event.lead_department_id})


def enqueue_hotline_callbacks(event, transitions) -> None:
    """Every recorded move of a case that came from a 12345 work order is reported back to the hotline, in one
    INSERT however many moves a step recorded. The transition id is the stable dedupe id: one callback per move,
    however often it is delivered."""
    if event.channel != Channel.HOTLINE or not event.external_id:
        return
    with translation.override(settings.LANGUAGE_CODE):
        labels = {t.pk: str(Status(t.to_status).label) for t in transitions}
    outbox_put_many([Message(topic=HOTLINE_CALLBACK, dedupe_key=f"{HOTLINE_CALLBACK}:{t.pk}", payload={
        "event_id": event.pk, "dedupe_id": t.pk, "order_no": event.external_id, "case_number": event.number,
        "status": t.to_status, "status_label": labels[t.pk], "reason": t.reason,
        "at": timezone.localtime(t.at).isoformat(),
    }) for t in transitions])


def enqueue_hotline_callback(event, transition) -> None:
    enqueue_hotline_callbacks(event, [transition])


# --- deliver: in the worker -------------------------------------------------------------------------------------
def _handler_phones(department_id: int) -> list[str]:
    from gridgov.accounts.models import User

    return list(User.objects.filter(department_id=department_id, role=Role.DEPT_HANDLER, is_active=True)
                .exclude(phone="").order_by("id").values_list("phone", flat=True))


def _deadline(event) -> str:
    return timezone.localtime(event.deadline).strftime("%Y-%m-%d %H:%M") if event.deadline else "-"


def _event(event_id: int):
    from gridgov.events.models import Event

    return Event.objects.select_related("category").filter(pk=event_id).first()


def deliver_assigned(payload: dict) -> None:
    """Tell each assigned department's handlers (by phone) the case number, category and deadline."""
    from gridgov.accounts.models import Department

    event = _event(payload["event_id"])
    if event is None:
        return  # the case no longer exists: nothing to tell
    sent = 0
    for department in Department.objects.filter(pk__in=payload["department_ids"]).order_by("id"):
        with translation.override(settings.LANGUAGE_CODE):
            text = _("[Grid] Case %(number)s (%(category)s) has been dispatched to %(department)s; "
                     "please handle it by %(deadline)s.") % {
                "number": event.number, "category": event.category.name, "department": department.name,
                "deadline": _deadline(event)}
        for phone in _handler_phones(department.pk):
            notify(to=phone, text=text)
            sent += 1
    log.info("%s: case %s, %d notices", ASSIGNED, event.number, sent)


def deliver_supervised(payload: dict) -> None:
    """Tell the lead department's handlers that the case is now supervised (督办)."""
    event = _event(payload["event_id"])
    department_id = payload.get("department_id")
    if event is None or not department_id:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = _("[Grid] Case %(number)s (%(category)s) is now under supervision; the deadline is %(deadline)s, "
                 "please speed up.") % {"number": event.number, "category": event.category.name,
                                        "deadline": _deadline(event)}
    phones = _handler_phones(department_id)
    for phone in phones:
        notify(to=phone, text=text)
    log.info("%s: case %s, %d notices", SUPERVISED, event.number, len(phones))
