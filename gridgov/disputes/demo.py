"""Demo disputes: a few dozen disputes in the demo grids over the last two months, registered, mediated, settled,
followed up and failed — through the services, so numbers, steps, status changes and audit rows are all real.
None is escalated: that would add a case (and its notices) to a demo whose case list starts empty.
``small``: 30; ``district``: 40 (light)."""

import datetime as dt
import random

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.common.roles import Role
from gridgov.disputes import services
from gridgov.disputes.choices import DisputeKind
from gridgov.disputes.models import Dispute, DisputeTransition, MediationStep

COUNT = {"small": 30, "district": 40}
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


def disputes_demo_build(*, scale: str = "small", seed: int = 2026) -> int:
    rng = random.Random(seed + 11)
    workers = [w for w in User.objects.filter(role=Role.GRID_WORKER, is_active=True).prefetch_related("grids")
               .order_by("username") if w.grids.exists()]
    if not workers:
        return 0
    persona = next((w for w in workers if w.username == "worker_a"), workers[0])
    now = timezone.now()
    made = 0
    for i in range(COUNT.get(scale, COUNT["small"])):
        worker = persona if i % 3 == 0 else workers[rng.randrange(len(workers))]
        grid = worker.grids.order_by("code").first()
        kind = rng.choice(list(SUMMARIES))
        a, b = rng.sample(NAMES, 2)
        phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        dispute, _created = services.dispute_register(
            actor=worker, kind=kind, summary=rng.choice(SUMMARIES[kind]), grid_id=grid.pk,
            parties=[services.PartyIn(role="applicant", name=a, phone=phone),
                     services.PartyIn(role="respondent", name=b)], client_key=f"demo-{i}")
        fate = rng.random()
        if fate > 0.15:
            services.dispute_step_add(actor=worker, dispute_id=dispute.pk, kind="talk", note="分别与双方当事人谈话，了解情况。")
        if 0.15 < fate <= 0.75:
            services.dispute_settle(actor=worker, dispute_id=dispute.pk, version=None,
                                    agreement="双方自愿达成调解协议，当场履行。")
            if fate <= 0.45:
                services.dispute_follow_up(actor=worker, dispute_id=dispute.pk, version=None,
                                           note="回访：协议已履行，双方无异议。")
        elif 0.75 < fate <= 0.9:
            services.dispute_fail(actor=worker, dispute_id=dispute.pk, version=None, reason="双方分歧较大，调解未成。")
        _spread(dispute.pk, now - dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 10)))
        made += 1
    return made


def _spread(dispute_id: int, registered_at: dt.datetime) -> None:
    """Move a demo dispute back in time: registered then, each later move (a service call) a day or two after,
    never later than now — so the demo does not look like "a dozen disputes mediated within one hour"."""
    d = Dispute.objects.get(pk=dispute_id)
    items = sorted([("t", t.pk, t.at) for t in DisputeTransition.objects.filter(dispute_id=dispute_id)]
                   + [("s", s.pk, s.at) for s in MediationStep.objects.filter(dispute_id=dispute_id)],
                   key=lambda x: x[2])
    groups, last = [], None
    for item in items:  # the rows one service call wrote are milliseconds apart
        if last is None or (item[2] - last).total_seconds() > 0.05:
            groups.append([])
        groups[-1].append(item)
        last = item[2]
    span = timezone.now() - registered_at
    gap = min(dt.timedelta(days=2), span / max(len(groups), 1))
    at_of = {}
    for k, group in enumerate(groups):
        for kind, pk, _at in group:
            at_of[(kind, pk)] = registered_at + gap * k
            (DisputeTransition if kind == "t" else MediationStep).objects.filter(pk=pk).update(
                at=at_of[(kind, pk)])
    moved = {t.to_status: at_of[("t", t.pk)] for t in DisputeTransition.objects.filter(dispute_id=dispute_id)}
    Dispute.objects.filter(pk=dispute_id).update(
        registered_at=registered_at, number=f"JF{timezone.localtime(registered_at):%Y%m%d}{dispute_id:08d}",
        settled_at=moved.get("settled") if d.settled_at else None,
        followed_up_at=moved.get("closed") if d.followed_up_at else None)
