"""Demo disputes: a few dozen disputes in the demo grids over the last three months, registered, mediated, settled,
followed up and failed — through the services, each step at its own moment in office hours (``time_machine``
travels there, so numbers, steps, status changes and audit rows carry the dates they would have had), a day or
two apart, never later than now (so the demo does not look like "a dozen disputes mediated within one hour").

With ``history`` (the demo's three months of life): two disputes the grid could not settle are escalated as cases
(their 矛盾纠纷 event takes over), and one worker settles five disputes within an hour on a recent afternoon — the
pattern the anomaly detection flags (fake mediation). Without it nothing is escalated: that would add cases to a
demo whose case list starts empty. ``small``: 30; ``district``: 40 (light)."""

import datetime as dt
import random

import time_machine
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.common.roles import Role
from gridgov.disputes import services
from gridgov.disputes.choices import DisputeKind

COUNT = {"small": 30, "district": 40}
DAYS = 90
ESCALATED = (4, 17)  # with history: these two are escalated as cases
SUMMARIES = {
    DisputeKind.NEIGHBOUR: ["楼上漏水导致楼下天花板受损，双方就维修费用产生争执。", "邻居长期在楼道堆放杂物，影响通行。"],
    DisputeKind.FAMILY: ["夫妻因子女抚养问题发生争吵，女方要求调解。", "兄弟三人就老人赡养费分担产生分歧。"],
    DisputeKind.LAND: ["两户村民就宅基地边界产生争议。"],
    DisputeKind.LABOUR: ["某五金厂拖欠十余名工人两个月工资。", "装修工人讨要工钱，与业主发生争执。"],
    DisputeKind.DEBT: ["个人借款到期未还，出借人多次上门催讨。"],
    DisputeKind.PROPERTY_MGMT: ["业主与物业就停车费上涨产生矛盾。", "小区电梯长期故障，业主拒交物业费。"],
    DisputeKind.ENVIRONMENT: ["餐饮店油烟扰民，周边居民多次投诉。", "夜间施工噪音扰民。"],
}
NAMES = ["张伟", "王芳", "李娜", "刘强", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞", "徐涛", "孙丽"]


def _daytime(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.choice((9, 10, 11, 14, 15, 16)),
                                                                rng.randint(0, 59))))


def _at(moment: dt.datetime):
    return time_machine.travel(moment.timestamp(), tick=False)  # a timestamp: the TZ variable stays


def disputes_demo_build(*, scale: str = "small", seed: int = 2026, history: bool = False) -> int:
    rng = random.Random(seed + 11)
    workers = [w for w in User.objects.filter(role=Role.GRID_WORKER, is_active=True).prefetch_related("grids")
               .order_by("username") if w.grids.exists()]
    if not workers:
        return 0
    persona = next((w for w in workers if w.username == "worker_a"), workers[0])
    now = timezone.now()
    today = timezone.localdate(now)
    made = 0
    for i in range(COUNT.get(scale, COUNT["small"])):
        worker = persona if i % 3 == 0 else workers[rng.randrange(len(workers))]
        grid = worker.grids.order_by("code").first()
        kind = rng.choice(list(SUMMARIES))
        a, b = rng.sample(NAMES, 2)
        phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        fate = rng.random()
        escalated = i in ESCALATED and history  # the grid could not settle it: a case takes over
        ago = rng.randint(5, 12) if escalated else rng.randint(0, DAYS)
        moment = min(_daytime(today - dt.timedelta(days=ago), rng), now - dt.timedelta(hours=6))
        with _at(moment):
            dispute, _created = services.dispute_register(
                actor=worker, kind=kind, summary=rng.choice(SUMMARIES[kind]), grid_id=grid.pk,
                occurred_at=moment - dt.timedelta(hours=rng.randint(2, 48)),
                parties=[services.PartyIn(role="applicant", name=a, phone=phone),
                         services.PartyIn(role="respondent", name=b)], client_key=f"demo-{i}")
        steps = []  # (service, its arguments) one after the other
        if fate > 0.15:
            steps.append((services.dispute_step_add, {"kind": "talk", "note": "分别与双方当事人谈话，了解情况。"}))
        if escalated:
            steps.append((services.dispute_escalate, {
                "version": None, "reason": "双方分歧较大，网格调解未成，提请街道综治中心处理。"}))
        elif 0.15 < fate <= 0.75:
            steps.append((services.dispute_settle, {"version": None, "agreement": "双方自愿达成调解协议，当场履行。"}))
            if fate <= 0.45:
                steps.append((services.dispute_follow_up, {"version": None, "note": "回访：协议已履行，双方无异议。"}))
        elif 0.75 < fate <= 0.9:
            steps.append((services.dispute_fail, {"version": None, "reason": "双方分歧较大，调解未成。"}))
        gap = min(dt.timedelta(days=2), (now - moment) / (len(steps) + 1))
        for k, (service, arguments) in enumerate(steps, start=1):
            with _at(moment + gap * k):
                service(actor=worker, dispute_id=dispute.pk, **arguments)
        made += 1
    if history:
        made += _quick_mediations(rng, workers, persona, now)
    return made


def _quick_mediations(rng: random.Random, workers: list, persona, now: dt.datetime) -> int:
    """Five disputes registered and settled by one worker within an hour, two or three days ago."""
    worker = next((w for w in reversed(workers) if not w.username.startswith("worker_")), persona)
    grid = worker.grids.order_by("code").first()
    day = timezone.localdate(now) - dt.timedelta(days=rng.choice((2, 3)))
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 5)))
    for i in range(5):
        moment = start + dt.timedelta(minutes=11 * i)
        with _at(moment):
            dispute, _created = services.dispute_register(
                actor=worker, kind=DisputeKind.NEIGHBOUR, summary="邻里之间因噪音发生口角。", grid_id=grid.pk,
                parties=[services.PartyIn(role="applicant", name=rng.choice(NAMES)),
                         services.PartyIn(role="respondent", name=rng.choice(NAMES))], client_key=f"demo-quick-{i}")
        with _at(moment + dt.timedelta(minutes=6)):
            services.dispute_settle(actor=worker, dispute_id=dispute.pk, version=None, agreement="双方握手言和。")
    return 5
