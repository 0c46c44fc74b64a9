"""A season of simulated patrols (巡查) for the sample district's grid workers.

About thirteen weeks before :data:`SAMPLE_END`: each day (every other day
or so where a grid has no high-frequency zone) each grid's patrolling
workers (the grid head and full-time workers; part-time ones now and then)
take turns on the grid's round (:mod:`gridgis.sample._walker`; some rounds
walk only the high-frequency zones),
walking (urban grids) or on an e-bike (large rural grids), lingering a few
minutes in each zone, sampled every 10–30 s with GPS noise of a few
metres and now and then a point thrown kilometres off (a jump the record
flags). Realistic gaps: days off (mostly weekends), rainy days when most
rounds are skipped, a fortnight's leave for a few workers, a few workers
who leave their low-frequency zones out, a grid left unpatrolled when its
workers are all away, and some days a check-in (签到) instead of a round.

The generator has its own random stream (``[seed, PATROL_STREAM]``), so the
other sample layers are unchanged by it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis._progress import steps
from gridgis.crs import transformer
from gridgis.layers import Layers
from gridgis.sample._incidents import SAMPLE_END
from gridgis.sample._roster import sample_roster
from gridgis.sample._walker import LineNetwork, Round, fallback_lines, grid_rounds

__all__ = ["PATROL_STREAM", "PatrolArchive", "sample_patrols"]

PATROL_STREAM = 17
"""Second seed of the patrols' generator (``default_rng([seed, PATROL_STREAM])``)."""
PLANE_EPSG = 4549
WALK_MS = (1.0, 1.5)
EBIKE_MS = (3.5, 5.5)
EBIKE_ROUND_M = 3000.0  # rounds longer than this are ridden
GPS_SIGMA_M = 4.0
JUMP_SHARE = 0.0004
RAIN_DAYS = 12
LEAVE_SHARE = 0.04
SKIP_LOW_SHARE = 0.08
CHECKIN_SHARE = 0.05
SHORT_SHARE = 0.4  # rounds that walk only the grid's high-frequency zones


@dataclass(frozen=True)
class PatrolArchive:
    """Simulated patrols: one row each in ``meta``, their points in ``points``.

    ``meta``: ``patrol_id``, ``person``, ``grid_code``, ``source``
    (``archive``), ``input_crs``; ``points``: ``track`` (the row of
    ``meta``), ``lon``, ``lat``, ``at`` — the shape
    :func:`gridgis.patrols.records.build_records` takes. ``rain_days``,
    ``leave`` (person → first day of their fortnight) and ``skip_low``
    (persons leaving low zones out) say which gaps were planted.
    """

    meta: pd.DataFrame
    points: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    rain_days: tuple[pd.Timestamp, ...]
    leave: dict[str, pd.Timestamp]
    skip_low: tuple[str, ...]


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of ``counts`` items: each item's group and its position in the group."""
    group = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return group, np.arange(int(counts.sum())) - starts[group]


def _walks(rounds: list[Round], which: np.ndarray, rng: np.random.Generator, *,
           speed: np.ndarray, interval: np.ndarray, reverse: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of many walks at once: walk i goes round ``rounds[which[i]]``.

    Each moves at ``speed[i]`` m/s, stands two to fifteen minutes at each of
    its round's stops, is sampled every ``interval[i]`` s, forwards or
    backwards. Returns (walk, xy, seconds from the walk's start).
    """
    big_t, big_d = 1e7, 1e7  # keys that put every walk (every round) on one axis
    length = np.array([r.cum[-1] for r in rounds])
    n_stops = np.array([len(r.stops) for r in rounds])
    stop_flat = np.concatenate([r.stops for r in rounds])
    stop_start = np.cumsum(n_stops) - n_stops
    k = n_stops[which]
    walk, j = _ragged(k)
    rev = reverse[walk]
    jj = np.where(rev, k[walk] - 1 - j, j)
    s = stop_flat[stop_start[which[walk]] + jj]
    s = np.where(rev, length[which[walk]] - s, s)
    dwell = rng.uniform(120, 900, len(s))
    wait = np.cumsum(dwell)
    before = wait - dwell  # the walk's dwell before this stop, all walks together
    first = np.cumsum(k) - k
    base = np.where(k > 0, before[np.minimum(first, len(before) - 1)], 0.0) if len(before) \
        else np.zeros(len(k))
    done = before - base[walk]
    total_wait = np.bincount(walk, weights=dwell, minlength=len(which))
    # knots (walk, distance, time): start, arrive and leave each stop, end
    n = len(which)
    kw = np.r_[np.arange(n), walk, walk, np.arange(n)]
    kd = np.r_[np.zeros(n), s, s, length[which]]
    kt = np.r_[np.zeros(n), s / speed[walk] + done, s / speed[walk] + done + dwell,
               length[which] / speed + total_wait]
    korder = np.r_[np.zeros(n), 1 + 2 * j, 2 + 2 * j, 2 * k + 1]
    o = np.lexsort((korder, kw))
    kw, kd, kt = kw[o], kd[o], kt[o]
    total = length[which] / speed + total_wait
    count = np.floor(total / interval).astype(np.int64) + 1
    pw, pj = _ragged(count)
    t = pj * interval[pw]
    d = np.interp(pw * big_t + t, kw * big_t + kt, kd)
    d = np.where(reverse[pw], length[which[pw]] - d, d)
    rx = np.concatenate([r.xy[:, 0] for r in rounds])
    ry = np.concatenate([r.xy[:, 1] for r in rounds])
    rkey = np.concatenate([i * big_d + r.cum for i, r in enumerate(rounds)])
    key = which[pw] * big_d + d
    return pw, np.column_stack([np.interp(key, rkey, rx), np.interp(key, rkey, ry)]), \
        np.rint(t)


def sample_patrols(layers: Layers, *, seed: int = 2026, weeks: int = 13,
                   roads: gpd.GeoDataFrame | None = None,
                   interval_s: tuple[float, float] = (10.0, 30.0),
                   progress: bool = False) -> PatrolArchive:
    """A season of patrol tracks for the district's grid workers.

    Parameters
    ----------
    layers : Layers
        The sample district (grids, patrol zones).
    seed : int, default 2026
        The same seed and district give the same season.
    weeks : int, default 13
        Length of the season, ending at :data:`SAMPLE_END`'s day.
    roads : geopandas.GeoDataFrame, optional
        Lines to walk along (a road layer; default the district's ``roads``
        layer), joined to the fallback network of zone boundaries and
        centroid links that keeps each grid's zones connected; a round keeps
        within 40 m of its grid.
    interval_s : (float, float), default (10, 30)
        Range of each terminal's sampling interval in seconds (an archive
        may be generated coarser).
    progress : bool, default False
        A progress bar on standard error.

    Returns
    -------
    PatrolArchive

    Examples
    --------
    >>> from gridgis.sample import sample_district
    >>> season = sample_patrols(sample_district(scale=0.05), weeks=2)
    >>> bool(season.points.groupby("track")["at"].is_monotonic_increasing.all())
    True
    """
    if not 1 <= weeks <= 52:
        raise ValueError(f"weeks must lie between 1 and 52, got {weeks}")
    lo, hi = interval_s
    if not 1 <= lo <= hi <= 600:
        raise ValueError("interval_s must be 1 ≤ low ≤ high ≤ 600 seconds")
    rng = np.random.default_rng([seed, PATROL_STREAM])
    with steps("sample patrols", 4, show=progress) as step:
        grids = layers.grids.sort_values("code").reset_index(drop=True).to_crs(PLANE_EPSG)
        zones = layers.patrol_zones.reset_index(drop=True).to_crs(PLANE_EPSG)
        roads = roads if roads is not None else getattr(layers, "roads", None)
        lines = fallback_lines(grids, zones)  # keeps every grid's zones connected
        if roads is not None and len(roads):  # the roads, walked where they serve
            lines = np.concatenate([np.asarray(roads.to_crs(PLANE_EPSG).geometry.values),
                                    lines])
        network = LineNetwork.from_lines(lines)
        full = grid_rounds(network, grids, zones)
        no_low = grid_rounds(network, grids, zones, skip_levels=("low",))
        high_only = grid_rounds(network, grids, zones, skip_levels=("medium", "low"))
        step("rounds")
        roster = sample_roster(layers, seed=seed)
        workers = roster[(roster["role"] == "grid_worker")
                         & roster["grade"].isin(["grid_head", "full_time", "part_time"])]
        end_day = pd.Timestamp(SAMPLE_END).normalize()
        start = end_day - pd.Timedelta(weeks=weeks)
        days = pd.date_range(start, end_day - pd.Timedelta(days=1), freq="D")
        high = set(zones.loc[zones["level"] == "high", "grid_code"])
        meta, plan = _schedule(rng, workers, grids, days, high)
        step("schedule")
        grid_index = {c: i for i, c in enumerate(grids["code"])}
        gi = plan["grid_code"].map(grid_index).to_numpy()
        every = full + no_low + high_only
        rounds = [r for r in every if r is not None]
        slot = np.cumsum([r is not None for r in every]) - 1
        usable_low = np.array([r is not None for r in no_low])
        usable_high = np.array([r is not None for r in high_only])
        pick = np.where(plan["skip_low"].to_numpy() & usable_low[gi], len(full) + gi, gi)
        pick = np.where(plan["short"].to_numpy() & usable_high[gi], 2 * len(full) + gi, pick)
        which = slot[pick]
        checkin = plan["checkin"].to_numpy()
        walking = np.flatnonzero(~checkin)
        ride = np.array([r.cum[-1] for r in rounds])[which[walking]] > EBIKE_ROUND_M
        speed = np.where(ride, rng.uniform(*EBIKE_MS, len(walking)),
                         rng.uniform(*WALK_MS, len(walking)))
        pw, xy, sec = _walks(rounds, which[walking], rng, speed=speed,
                             interval=rng.uniform(lo, hi, len(walking)),
                             reverse=rng.random(len(walking)) < 0.5)
        xy = xy + rng.normal(0, GPS_SIGMA_M, xy.shape)
        jump = rng.random(len(xy)) < JUMP_SHARE
        jump &= np.r_[False, pw[1:] == pw[:-1]] & np.r_[pw[1:] == pw[:-1], False]
        xy[jump] += rng.choice([-1, 1], (int(jump.sum()), 2)) * rng.uniform(
            2500, 5000, (int(jump.sum()), 2))
        # check-ins: one point at the first zone of the round
        ci = np.flatnonzero(checkin)
        first_zone = np.array([r.stop_zone[0] for r in rounds])[which[ci]]
        rep = shapely.get_coordinates(zones.geometry.representative_point().values)
        cxy = rep[first_zone] + rng.normal(0, GPS_SIGMA_M, (len(ci), 2))
        track = np.r_[walking[pw], ci]
        x, y = np.r_[xy[:, 0], cxy[:, 0]], np.r_[xy[:, 1], cxy[:, 1]]
        begin = plan["start"].to_numpy().astype("datetime64[s]").astype(np.int64)
        secs = np.r_[sec, np.zeros(len(ci))].astype(np.int64) + begin[track]
        order = np.argsort(track, kind="stable")
        track, x, y, secs = track[order], x[order], y[order], secs[order]
        step("tracks")
        lon, lat = transformer(f"EPSG:{PLANE_EPSG}", "EPSG:4326").transform(x, y)
        points = pd.DataFrame({"track": track, "lon": np.round(lon, 7), "lat": np.round(lat, 7),
                               "at": secs.astype("datetime64[s]")})
        step("lon/lat")
    return PatrolArchive(meta=meta, points=points, start=start, end=end_day,
                         rain_days=tuple(pd.Timestamp(d) for d in plan.attrs["rain"]),
                         leave=plan.attrs["leave"], skip_low=plan.attrs["skip_low"])


def _schedule(rng: np.random.Generator, workers: pd.DataFrame, grids: gpd.GeoDataFrame,
              days: pd.DatetimeIndex, high: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who patrols which grid when: one row per patrol (vectorised over workers × days)."""
    people = workers["staff_id"].to_numpy()
    grid = workers["grids"].astype(str).str.split(";").str[0].to_numpy()
    grade = workers["grade"].to_numpy()
    n_p, n_d = len(people), len(days)
    weekend = np.asarray(days.day_of_week >= 5)
    rain_idx = rng.choice(n_d, size=min(RAIN_DAYS, n_d), replace=False)
    rain = np.zeros(n_d, bool)
    rain[rain_idx] = True
    # on duty: days off (mostly weekends), part-timers a day or two a week
    p_on = np.where(grade == "part_time", 0.25, 0.9)[:, None] * np.where(weekend, 0.45, 1.0)
    on = rng.random((n_p, n_d)) < p_on
    leave_people = np.flatnonzero(rng.random(n_p) < LEAVE_SHARE)
    leave_start = rng.integers(0, max(n_d - 14, 1), len(leave_people))
    for p, s in zip(leave_people, leave_start, strict=True):
        on[p, s:s + 14] = False
    skip = rng.random(n_p) < SKIP_LOW_SHARE
    # each grid and day: the workers on duty take turns; a second round on some days
    order = np.argsort(grid, kind="stable")
    rows = []
    codes, first = np.unique(grid[order], return_index=True)
    bounds = np.r_[first, len(order)]
    for gi in range(len(codes)):
        members = order[bounds[gi]:bounds[gi + 1]]
        duty = on[members]  # (m, days)
        pick = rng.random(duty.shape) * duty
        who = members[np.argmax(pick, axis=0)]
        # a grid with a high zone is walked daily, the others every other day or so;
        # some grids' workers are less diligent than others
        daily = (0.97 if codes[gi] in high else 0.5) * rng.beta(12, 1.5)
        has = duty.any(axis=0) & (rng.random(n_d) < daily) & ~(
            rain & (rng.random(n_d) < 0.75))
        second = has & (rng.random(n_d) < (0.3 if codes[gi] in high else 0.0)) & (
            duty.sum(axis=0) > 1)
        for d in np.flatnonzero(has):
            rows.append((who[d], d, 0))
        for d in np.flatnonzero(second):
            other = members[np.argsort(-pick[:, d])[1]]
            rows.append((other, d, 1))
    rows_a = np.array(rows, dtype=np.int64).reshape(-1, 3)
    rows_a = rows_a[np.lexsort((rows_a[:, 2], rows_a[:, 0], rows_a[:, 1]))]
    who, d, shift = rows_a.T
    morning = rng.uniform(8 * 3600, 10.5 * 3600, len(who))
    afternoon = rng.uniform(14 * 3600, 16.5 * 3600, len(who))
    begin = days.to_numpy()[d] + np.where(shift == 0, morning, afternoon).astype(
        "timedelta64[s]")
    plan = pd.DataFrame({"person": people[who], "grid_code": grid[who],
                         "start": pd.to_datetime(begin), "skip_low": skip[who],
                         "short": rng.random(len(who)) < SHORT_SHARE,
                         "checkin": rng.random(len(who)) < CHECKIN_SHARE})
    day_str = pd.to_datetime(days.to_numpy()[d]).strftime("%Y%m%d")
    meta = pd.DataFrame({"patrol_id": [f"XC{s}S{i:06d}" for i, s in enumerate(day_str)],
                         "person": plan["person"], "grid_code": plan["grid_code"],
                         "source": "archive", "input_crs": "wgs84"})
    plan.attrs["rain"] = tuple(days[np.flatnonzero(rain)])
    plan.attrs["leave"] = {str(people[p]): days[s] for p, s in
                           zip(leave_people, leave_start, strict=True)}
    plan.attrs["skip_low"] = tuple(str(p) for p in people[skip])
    return meta, plan
