"""The anomaly review as data: an open anomaly is confirmed or dismissed, with a note, by community staff or a
dispatcher in whose area it lies — never by the worker it is about. The one gatekeeper that applies it is
``gridgov.common.workflow.move``; ``services.anomaly_review`` hands the decision to it.

    open ─confirm→ confirmed
      └──dismiss→ dismissed
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.errors import PermissionDenied, ValidationFailed
from gridgov.common.workflow import Messages, Move, Workflow
from gridgov.fieldwork.choices import AnomalyStatus as S
from gridgov.fieldwork.models import ANOMALY_REVIEW_ROLES, Anomaly

NOTE_MAX = 300

ACTIONS = {
    "confirm": Move(frozenset({S.OPEN}), S.CONFIRMED, ANOMALY_REVIEW_ROLES, gettext_lazy("confirm")),
    "dismiss": Move(frozenset({S.OPEN}), S.DISMISSED, ANOMALY_REVIEW_ROLES, gettext_lazy("dismiss")),
}


def _not_about_oneself(anomaly, actor, action):
    if anomaly.worker_id == actor.pk:
        raise PermissionDenied(_("Nobody reviews an anomaly about themselves."))


def _effect_review(anomaly, *, actor, reason, data):
    note = (reason or "").strip()
    if len(note) < 2:
        raise ValidationFailed(_("Say why in a note."), field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": NOTE_MAX}, field="note")
    anomaly.reviewed_by, anomaly.review_note = actor, note
    data["_audit"] = {"kind": anomaly.kind, "worker": anomaly.worker_id, "day": anomaly.day.isoformat(), "note": note}


def _record(anomaly, **kwargs):
    """The anomaly keeps its reviewer and note itself; the audit row is the engine's."""


FLOW = Workflow(
    model=Anomaly, prefix="anomaly", moves=ACTIONS, effects={"confirm": _effect_review, "dismiss": _effect_review},
    record=_record, may_act=_not_about_oneself,
    messages=Messages(
        not_found=gettext_lazy("No such anomaly, or it is outside your area."),
        conflict=gettext_lazy("Someone else changed this anomaly first: it is now %(status)s (version %(version)d)."),
        illegal=gettext_lazy("An anomaly that is %(status)s cannot be %(action)s. Allowed now: %(allowed)s."),
        role=gettext_lazy("Your role may not %(action)s anomalies.")),
)
