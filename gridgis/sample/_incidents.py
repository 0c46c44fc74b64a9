"""One year of incidents with seasons, hotspots and the closed loop as practised.

Where and when matters are reported is drawn here; how each went through
the loop — 1-3-0, escalation with a reason, 吹哨报到, supervision, call back —
in :mod:`gridgis.sample._loop_history`, :mod:`gridgis.sample._whistles` and
:mod:`gridgis.sample._supervision`.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.sample._loop_history import deploy, handle, rounds_json
from gridgis.sample._supervision import supervisions
from gridgis.sample._whistles import Call, blow_whistles

__all__ = ["SAMPLE_END", "SAMPLE_START", "build_incidents"]

SAMPLE_START = np.datetime64("2025-11-01T00:00")
SAMPLE_END = np.datetime64("2026-11-01T09:00")
"""The sample's clock: incidents are reported in the year before this moment."""

SHARE = {"D01": .12, "D02": .03, "D03": .02, "D04": .03, "D05": .05, "D06": .012, "S01": .02,
         "S02": .05, "S03": .07, "S04": .015, "E01": .08, "E02": .12, "E03": .07, "M01": .03,
         "M02": .06, "P01": .10, "P02": .05, "U01": .09, "X01": .003}
# where categories happen: weight of urban vs rural buildings
RURAL_AFFINITY = {"D03": 4.0, "D05": 0.0, "E03": 0.3, "M02": 0.5, "P01": 0.4, "S02": 1.5}
# share of incidents drawn to markets, schools and stations
HOTSPOT_PULL = {"E03": .45, "M02": .45, "M01": .35, "E02": .25, "P02": .3, "X01": .3}
MONTHS = np.arange(1, 13)


def _season(code: str) -> np.ndarray:
    summer = 1 + 0.5 * np.cos(2 * np.pi * (MONTHS - 7) / 12)
    winter = 1 + 0.5 * np.cos(2 * np.pi * (MONTHS - 1) / 12)
    if code in ("E01", "E03", "M01", "S02"):
        return summer
    if code in ("S03", "S04"):
        return winter
    if code == "D04":  # wages are claimed before the Spring Festival (2026-02-17)
        return np.array([3.0, 1.6, .6, .6, .6, .7, .7, .6, .6, .7, .9, 2.0])
    if code == "P01":  # migrant workers return after the festival
        return np.array([.8, 1.9, 1.7, 1.1, 1, 1, .9, .9, .9, .9, .9, .8])
    if code == "S01":
        return np.array([.7, .7, .8, .9, 1, 1.2, 1.5, 1.9, 1.7, 1, .8, .7])
    return np.ones(12)


DESCRIPTIONS = {
    "D01": ["楼上住户深夜噪音扰民，多次协商未果", "楼道漏水引发邻里矛盾",
            "车位被长期占用，双方发生争执"],
    "D02": ["夫妻因家庭琐事多次争吵，需要调解", "子女赡养老人问题发生纠纷"],
    "D03": ["宅基地界址不清，两户发生争执", "翻建房屋占用邻居宅基地"],
    "D04": ["工地十余名工人反映工资被拖欠", "小工厂拖欠员工三个月工资"],
    "D05": ["业主与物业因收费问题发生纠纷", "小区电梯长期故障物业不处理"],
    "D06": ["患者家属对诊疗结果不满，聚集在卫生院", "就医后出现并发症，要求赔偿"],
    "S01": ["电线掉落在人行道上，存在触电危险", "台风后电杆倾斜，电线垂落"],
    "S02": ["路面出现塌陷坑洞", "人行道砖块破损松动"],
    "S03": ["楼道堆放杂物堵塞消防通道", "电动车在楼道内充电", "出租房私拉电线"],
    "S04": ["餐馆燃气管道有异味", "居民反映燃气表附近漏气"],
    "E01": ["下水道堵塞，污水外溢", "雨后积水严重，排水不畅"],
    "E02": ["路边垃圾堆放未及时清运", "建筑垃圾随意倾倒"],
    "E03": ["餐饮店油烟直排扰民", "小作坊排放刺激性气味"],
    "M01": ["流动摊贩售卖过期食品", "饭店后厨卫生条件差"],
    "M02": ["无证经营小餐饮", "占道经营无营业执照"],
    "P01": ["出租房新入住人员未登记", "群租房人员流动频繁"],
    "P02": ["可疑人员夜间在小区徘徊", "小区监控损坏，治安隐患"],
    "U01": ["独居老人需要上门帮扶", "居民咨询证件办理"],
    "X01": ["数十人聚集讨要说法", "突发事件现场需要处置"],
}


def _daily_counts(rng: np.random.Generator, n_total: int, codes: list[str],
                  days: np.ndarray) -> np.ndarray:
    month = (days.astype("datetime64[M]").astype(int) % 12) + 1
    weekday = (days.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
    week = np.where(weekday >= 5, 0.75, 1.05)
    lam = np.array([[SHARE[c] * _season(c)[m - 1] for c in codes] for m in month])
    lam *= week[:, None]
    # a typhoon in early August: fallen wires, flooding, road damage for three days
    typhoon = (days >= np.datetime64("2026-08-04")) & (days < np.datetime64("2026-08-07"))
    for code, factor in (("S01", 9.0), ("E01", 5.0), ("S02", 3.0)):
        if code in codes:
            lam[typhoon, codes.index(code)] *= factor
    lam *= n_total / lam.sum()
    return rng.poisson(lam)


def _hours(rng: np.random.Generator, n: int) -> np.ndarray:
    profile = np.array([1, .5, .3, .3, .3, .6, 1.5, 3, 5, 6, 6, 5, 3.5, 4.5, 5.5, 5.5, 5, 4,
                        3, 3, 2.5, 2, 1.5, 1.2])
    hour = rng.choice(24, n, p=profile / profile.sum())
    return hour * 60 + rng.integers(0, 60, n)


def build_incidents(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, poi: np.ndarray,
                    units: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                    categories: pd.DataFrame, rng: np.random.Generator, n_total: int,
                    surge_township: str) -> gpd.GeoDataFrame:
    """Incidents of the sample year (metres); see the module docstring of gridgis.sample."""
    codes = [c for c in SHARE if c in categories.index]
    days = np.arange(SAMPLE_START.astype("datetime64[D]"), SAMPLE_END.astype("datetime64[D]"))
    counts = _daily_counts(rng, n_total, codes, days)
    # planted surge: medical disputes up about 60 % in one township over the last six weeks
    surge_from = SAMPLE_END.astype("datetime64[D]") - np.timedelta64(42, "D")
    day_idx, cat_idx = np.nonzero(counts)
    reps = counts[day_idx, cat_idx]
    day = np.repeat(days[day_idx], reps)
    cat = np.array(codes)[np.repeat(cat_idx, reps)]
    n = len(cat)
    reported = day.astype("datetime64[m]") + _hours(rng, n).astype("timedelta64[m]")

    # where: a building weighted by households and by the category's urban/rural affinity
    b_hh = buildings["households"].to_numpy().astype(float)
    urban_codes = set(grids.loc[grids["_urban"], "code"])
    b_urban = buildings["grid_code"].isin(urban_codes).to_numpy()
    b_town = buildings["grid_code"].str.slice(0, 9).to_numpy()
    troubled = rng.choice(grids.loc[grids["_urban"], "code"].to_numpy(),
                          size=max(1, len(urban_codes) // 60), replace=False)
    b_weight = b_hh * np.where(buildings["grid_code"].isin(troubled), 4.0, 1.0)
    bxy = shapely.get_coordinates(buildings.geometry.values)
    xy = np.empty((n, 2))
    for code in codes:
        idx = np.flatnonzero(cat == code)
        w = b_weight * np.where(b_urban, 1.0, RURAL_AFFINITY.get(code, 1.0))
        if code == "D06":  # the surge township reports more medical disputes lately
            late = reported[idx] >= surge_from
            extra = rng.random(idx.size) < np.where(late, 0.45, 0.0)
            w_s = w * (b_town == surge_township)
            pick_s = rng.choice(len(w), size=extra.sum(), p=w_s / w_s.sum())
            pick = rng.choice(len(w), size=idx.size, p=w / w.sum())
            pick[extra] = pick_s
        else:
            pick = rng.choice(len(w), size=idx.size, p=w / w.sum())
        pts = bxy[pick] + rng.normal(0, 12, (idx.size, 2))
        pull = rng.random(idx.size) < HOTSPOT_PULL.get(code, 0.08)
        if pull.any() and len(poi):
            hot = bxy[rng.choice(poi, size=pull.sum())]
            pts[pull] = hot + rng.normal(0, 80, (pull.sum(), 2))
        xy[idx] = pts
    fallback = bxy[rng.choice(len(bxy), size=n, p=b_hh / b_hh.sum())]
    points = gpd.GeoDataFrame(geometry=shapely.points(xy))
    hit = gpd.sjoin(points, grids[["code", "geometry"]], predicate="within", how="left")
    hit = hit[~hit.index.duplicated(keep="first")]
    outside = hit["code"].isna().to_numpy()
    xy[outside] = fallback[outside]
    points = gpd.GeoDataFrame(geometry=shapely.points(xy))
    hit = gpd.sjoin(points, grids[["code", "geometry"]], predicate="within", how="left")
    grid_code = hit[~hit.index.duplicated(keep="first")]["code"].to_numpy()

    town = np.array([g[:9] for g in grid_code], dtype=object)
    comm_name = dict(zip(communities["code"], communities["name"], strict=True))
    place = np.array([comm_name.get(g[:12], "") for g in grid_code], dtype=object)
    frame = _loop(rng, cat, reported, xy, town, place, units, categories)
    frame["grid_code"] = grid_code
    frame["community_code"] = [g[:12] for g in grid_code]
    frame["township_code"] = town
    frame["unit_id"] = _nearest_unit(xy, cat, town, units, categories)
    frame.loc[frame["dispatched_at"].isna(), "unit_id"] = None
    src = rng.choice(["grid_worker", "hotline", "app", "sensor"], n, p=[.55, .25, .17, .03])
    sensorable = np.isin(cat, ["S01", "S04", "E01"])
    src = np.where((src == "sensor") & ~sensorable, "grid_worker", src)
    frame["source"] = src
    frame["input_crs"] = np.where(src == "app", "gcj02", "wgs84")
    frame["has_photos"] = _photos(rng, src, cat, frame["resolved_at"].notna().to_numpy(),
                                  categories)
    text = [rng.choice(DESCRIPTIONS.get(c, ["群众反映问题"])) for c in cat]
    frame["description"] = [f"{comm_name.get(cc, '')}{rng.integers(1, 40)}幢附近：{t}"
                            for cc, t in zip(frame["community_code"], text, strict=True)]
    order = np.argsort(reported, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    xy = xy[order]
    stamp = pd.Series(frame["reported_at"]).dt.strftime("%Y%m%d")
    seq = stamp.groupby(stamp).cumcount() + 1
    frame.insert(0, "incident_id", "E" + stamp + "-" + seq.map("{:04d}".format))
    return gpd.GeoDataFrame(frame, geometry=shapely.points(xy))


def _loop(rng: np.random.Generator, cat: np.ndarray, reported: np.ndarray, xy: np.ndarray,
          town: np.ndarray, place: np.ndarray, units: gpd.GeoDataFrame,
          categories: pd.DataFrame) -> pd.DataFrame:
    """The closed loop of every matter, as the incidents layer's columns."""
    now = SAMPLE_END
    priority = categories.loc[cat, "priority"].to_numpy()
    dep = deploy(rng, cat, reported, categories, now)
    calls, ready = blow_whistles(rng, cat, priority, dep, xy, town, place, units, categories,
                                 now)
    hand = handle(rng, cat, dep, ready, now)
    counts, noticed = supervisions(reported, dep, hand, calls, now)
    whistle = np.full(len(cat), None, dtype=object)
    for i, row in calls.items():
        whistle[i] = _calls_json(row, noticed[i])
    return pd.DataFrame({
        "reported_at": reported, "category": cat, "priority": priority,
        "accepted_at": dep.accepted, "dispatched_at": dep.dispatched,
        "resolved_at": hand.resolved, "verified_at": hand.verified, "closed_at": hand.closed,
        "status": hand.status, "respond_by": dep.start + dep.respond,
        "resolve_by": hand.resolve_by, "escalation_level": dep.level,
        "reopened": hand.reopened, "satisfaction": hand.satisfaction,
        "progress_by": dep.start + dep.progress, "progress_at": hand.progress_at,
        "progress_reports": hand.progress_reports, "escalated_at": dep.escalated,
        "escalation_reason": dep.reason, "whistle_calls": whistle, "supervisions": counts,
        "callback_at": hand.callback_at, "callback_outcome": hand.callback_outcome,
        "reopenings": [rounds_json(r) for r in hand.rounds],
    })


def _iso(t: np.datetime64) -> str | None:
    return None if np.isnat(t) else t.astype("datetime64[s]").item().isoformat()


def _calls_json(row: list[Call], noticed: set[int]) -> str:
    """A whistle's calls as the record keeps them (``IncidentRecord.whistle_calls``)."""
    out = []
    for k, c in enumerate(row):
        came = not np.isnat(c.reported_in)
        out.append({"unit_id": c.unit_id, "called_at": _iso(c.called), "due_at": _iso(c.due),
                    "reason": c.reason, "reported_in_at": _iso(c.reported_in),
                    "place": c.place if came else None, "staff": c.staff if came else None,
                    "supervised": k in noticed,
                    "late": bool(c.reported_in > c.due) if came else None})
    return json.dumps(out, ensure_ascii=False)


def _photos(rng: np.random.Generator, source: np.ndarray, cat: np.ndarray,
            resolved: np.ndarray, categories: pd.DataFrame) -> np.ndarray:
    """Before/after photos (处置前/后): most grid workers' reports, most resolved law-
    enforcement matters, some citizens' app reports."""
    n = len(cat)
    law = (categories.loc[cat, "platform"] == "law_enforcement").to_numpy()
    return (((source == "grid_worker") & (rng.random(n) < .85))
            | ((source == "app") & (rng.random(n) < .4))
            | (law & resolved & (rng.random(n) < .9)))


def _nearest_unit(xy: np.ndarray, cat: np.ndarray, town: np.ndarray, units: gpd.GeoDataFrame,
                  categories: pd.DataFrame) -> np.ndarray:
    uxy = shapely.get_coordinates(units.geometry.values)
    out = np.empty(len(xy), dtype=object)
    first_kind = categories["unit_kinds"].map(lambda k: k[0])
    for code in np.unique(cat):
        idx = np.flatnonzero(cat == code)
        mask = (units["kind"] == first_kind[code]).to_numpy()
        cand = np.flatnonzero(mask)
        d = np.hypot(xy[idx, None, 0] - uxy[None, cand, 0],
                     xy[idx, None, 1] - uxy[None, cand, 1])
        d += np.where(town[idx, None] == units["township_code"].to_numpy()[None, cand], 0, 1e7)
        out[idx] = units["unit_id"].to_numpy()[cand[np.argmin(d, axis=1)]]
    return out
