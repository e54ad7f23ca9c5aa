"""An anomaly's evidence reads as a table in Chinese, one row per item: local (Asia/Shanghai) times, distances in m
or km, durations in seconds or minutes, speeds in km/h, shares in per cent, positions linked to the map — for every
kind the rules produce. The evidence is built by the real rules (``rules.py``), as detection stores it."""

import datetime as dt
import re
import zoneinfo

import numpy as np
import pytest

from gridgov.fieldwork import rules
from gridgov.fieldwork.choices import AnomalyKind
from gridgov.fieldwork.detect import _jsonable
from gridgov.fieldwork.models import Anomaly

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 30)
# 00:10 UTC is 08:10 in Shanghai: a page that shows UTC would say 00:10.
START = dt.datetime(2026, 11, 30, 0, 10, tzinfo=dt.UTC)
LON, LAT = 113.88, 22.56
RAW_KEYS = {"jumps", "max_kmh", "limit_kmh", "examples", "metres", "seconds", "kmh", "minutes", "radius_m",
            "limit_m", "points", "centre", "same_as_day", "similarity", "threshold", "other_points", "shift_hours",
            "outside_share", "limit", "minutes_on_patrol", "minutes_inside", "records", "in_last_days",
            "last_days", "share", "events", "visits", "disputes", "window_minutes", "ids", "from", "to"}


def _track(n, *, step_s=30.0, east_m=20.0, start=START):
    t = np.array([start.timestamp() + i * step_s for i in range(n)])
    lon = LON + np.arange(n) * east_m / 102_900.0
    lat = np.full(n, LAT)
    return t, lon, lat


def _evidence(kind, grid_a):
    if kind == AnomalyKind.IMPOSSIBLE_SPEED:
        t, lon, lat = _track(20)
        lon[10:] += 0.05  # a 5 km jump in 30 s
        return rules.impossible_speed(t, lon, lat).evidence
    if kind == AnomalyKind.NO_MOVEMENT:
        return rules.never_moves(*_track(100, step_s=30, east_m=0.0)).evidence
    if kind == AnomalyKind.COPIED_TRACK:
        t, lon, lat = _track(60)
        other = _track(60, start=START - dt.timedelta(days=1, hours=2))
        return rules.copied_track(t, lon, lat, {DAY - dt.timedelta(days=1): other}).evidence
    if kind == AnomalyKind.OUTSIDE_GRID:
        return rules.outside_grid(moving_seconds=3600, inside_seconds=720).evidence
    if kind == AnomalyKind.MONTH_END_BURST:
        days = [dt.date(2026, 11, 2)] * 3 + [dt.date(2026, 11, 29)] * 9
        visits = [dt.date(2026, 11, 5)] * 4 + [dt.date(2026, 11, 30)] * 6
        return {"events": rules.month_end_burst(days, year=2026, month=11).evidence,
                "visits": rules.month_end_burst(visits, year=2026, month=11).evidence}
    from gridgov.disputes.models import Dispute

    ids = list(Dispute.objects.order_by("pk").values_list("pk", flat=True)[:5])
    settled = [(pk, START + dt.timedelta(minutes=7 * i)) for i, pk in enumerate(ids)]
    return rules.quick_mediation(settled).evidence


# kind → what the table must say (the words, the units, the local time)
EXPECTED = {
    AnomalyKind.IMPOSSIBLE_SPEED: ["跳变次数", "km/h", "km", "08:", "秒"],
    AnomalyKind.NO_MOVEMENT: ["持续时间", "分钟", " m", "08:10"],
    AnomalyKind.COPIED_TRACK: ["与之相同的日期", "2026-11-29", "%", "小时"],
    AnomalyKind.OUTSIDE_GRID: ["网格外时间占比", "80.0%", "60 分钟", "12 分钟"],
    AnomalyKind.MONTH_END_BURST: ["上报事件", "9", "12", "75.0%", "2026-11-28", "走访记录", "60.0%"],
    AnomalyKind.QUICK_MEDIATION: ["化解纠纷数", "5 件", "60 分钟", "08:10", "08:38"],
}


def _table(html: str) -> list[tuple[str, str]]:
    table = re.search(r'<table class="evidence-table">(.*?)</table>', html, re.S)
    assert table, "no evidence table"
    rows = re.findall(r"<tr>\s*<th[^>]*>(.*?)</th>\s*<td[^>]*>(.*?)</td>\s*</tr>", table.group(1), re.S)
    return [(re.sub(r"<[^>]+>", "", h).strip(), c) for h, c in rows]


@pytest.mark.parametrize("kind", list(AnomalyKind))
def test_the_evidence_is_a_chinese_table_with_local_times_and_units(as_user, worker, grid_a, kind):
    evidence = _jsonable(_evidence(kind, grid_a))
    anomaly = Anomaly.objects.create(kind=kind, worker=worker, day=DAY, region_path=grid_a.path, score=1,
                                     evidence=evidence)
    html = as_user("dispatcher").get(f"/anomalies/{anomaly.pk}/").content.decode()
    rows = _table(html)
    assert len(rows) >= (2 if kind == AnomalyKind.MONTH_END_BURST else 3), rows  # reports and visits: a row each
    text = " ".join(f"{h} {re.sub(r'<[^>]+>', ' ', c)}" for h, c in rows)
    for word in EXPECTED[kind]:
        assert word in text, (word, text)
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h, _c in rows), rows  # every row is named in Chinese
    assert not RAW_KEYS & set(re.findall(r"[a-z_]+", text)), text  # no raw keys
    assert "+00:00" not in text and "T00:" not in text  # no UTC ISO times
    if kind in (AnomalyKind.IMPOSSIBLE_SPEED, AnomalyKind.NO_MOVEMENT):
        assert re.search(r'href="/map/#\d+/22\.56\d*/113\.8\d*', html), "positions link to the map"
    if kind == AnomalyKind.IMPOSSIBLE_SPEED:
        jumps = [h for h, _c in rows if h.startswith("跳变 ")]
        assert len(jumps) == len(evidence["examples"])  # one row per jump
    if kind == AnomalyKind.QUICK_MEDIATION:  # each dispute by its number, linked to its page
        from gridgov.disputes.models import Dispute

        for pk, number in Dispute.objects.filter(pk__in=evidence["ids"]).values_list("pk", "number"):
            assert f'<a href="/disputes/{pk}/">{number}</a>' in html
    assert "<pre>" not in html  # not the raw JSON any more


def test_the_list_summarises_in_the_same_words(as_user, worker, grid_a):
    Anomaly.objects.create(kind=AnomalyKind.OUTSIDE_GRID, worker=worker, day=DAY, region_path=grid_a.path,
                           score=0.8, evidence=_jsonable(_evidence(AnomalyKind.OUTSIDE_GRID, grid_a)))
    html = as_user("dispatcher").get("/anomalies/?status=open&kind=outside_grid").content.decode()
    assert "80.0%" in html and "0.8)" not in html
