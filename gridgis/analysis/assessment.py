"""Assessment (考核) of grid workers, grids, communities, townships and units.

From one *incident frame* — rows with the store record's columns, read from
a store by :func:`gridgis.store.frame.incident_frame` or an archive's
``incidents`` layer — the functions here measure each level of the closed
loop as of a moment ``now`` (a timestamp after ``now`` counts as not yet
happened; counters and the status are taken as recorded). A column the
frame lacks makes the measures that need it NaN, never an error.

Measures (the matters of a row are those reported in its area, held by its
unit, or found and verified by its grid worker; "valid" leaves rejected
reports out):

- ``matters`` reports, ``valid``; ``found`` reported by grid workers and
  ``found_rate`` = found / valid (主动发现率);
- ``deploy_on_time_rate`` (按时派遣率) = matters dispatched by
  ``respond_by`` / matters dispatched or past ``respond_by`` (a matter
  escalated after its dispatch and still waiting, accepted, at the new
  level counts as not deployed);
- ``progress_on_time_rate`` (按时反馈率, 1-3-0's "3") = dispatched matters
  whose first progress report *or* resolution came by ``progress_by`` /
  dispatched matters that reported or are past ``progress_by``;
- ``resolve_on_time_rate`` (按时办结率) = resolved by ``resolve_by`` /
  resolved or past ``resolve_by``;
- ``overdue`` (当前超期) open matters past the limit of a stage they have
  not finished (deploy, progress, resolve); ``overdue_rate`` = overdue / valid;
- ``returns`` (退回次数) and ``returned_rate`` = returns / (dispatched
  matters + returns): the share of dispatches given back; for a unit its
  own returns (from the events when the frame has ``returned_units``);
- ``reopened`` (重办) matters reopened at least once and ``reopened_rate``
  = reopened / matters resolved or reopened;
- ``supervisions`` (督办次数);
- ``closed`` (办结: closed, not rejected) and ``closure_rate`` = closed / valid;
- ``rated`` call backs that reached the reporter with a score, their mean
  ``satisfaction`` (1–5) and ``satisfied_rate`` = rated 4 or 5 / rated;
- units: ``calls`` (被吹哨次数), ``report_in_rate`` (按时报到率) = calls
  reported in by their limit / calls reported in or past their limit, and
  ``report_in_hours`` (平均报到用时) from the call to the report-in;
- grid workers: ``reports_found`` (发现上报), ``verifications`` (核查) and
  ``verify_on_time_rate`` (按时核查率, within ``verify_within`` of the
  resolution). A report or verification whose event names a grid worker of
  the roster is his; one that names nobody known (an archive, a loaded
  matter) is shared equally by the workers serving the incident's grid.

Scores: :func:`load_weights` reads the table of weights (shipped as
``gridgis/data/assessment_weights.csv``, columns ``measure, weight,
direction``; a district replaces it). Each measure becomes a grade 0–1 — a
share as it is, the mean satisfaction as (mean − 1) / 4, a count or hours
as its share of the level's largest — turned around (1 − grade) when its
direction is ``lower``; the score is 100 × the weighted mean of the grades
the row has (a measure without value, e.g. nothing due yet, is left out
and the other weights carry the score), and ``rank`` 1 is the best of the
level. Measures a level does not have are ignored there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridgis.analysis._loop_flags import (
    VERIFY_WITHIN,
    Flags,
    group_sums,
    loop_flags,
    prepare,
    rates,
    ratio,
    whistle_calls,
)
from gridgis.errors import InputError

__all__ = [
    "AREA_COLUMNS",
    "LEVELS",
    "MEASURES",
    "UNIT_COLUMNS",
    "WORKER_COLUMNS",
    "Assessment",
    "Measure",
    "area_measures",
    "assess",
    "load_weights",
    "report_in_rates",
    "score",
    "unit_measures",
    "worker_measures",
    "workers_table",
]


@dataclass(frozen=True)
class Measure:
    """What a measure is: its Chinese and English names and its kind.

    ``kind`` is ``count``, ``rate`` (a share 0–1), ``mean5`` (a 1–5 mean) or
    ``hours``; it decides how a score grades the measure.
    """

    zh: str
    en: str
    kind: str


MEASURES: dict[str, Measure] = {m: Measure(*v) for m, v in {
    "matters": ("受理事项", "matters reported", "count"),
    "valid": ("有效事项", "valid matters", "count"),
    "found": ("网格员发现", "found by grid workers", "count"),
    "found_rate": ("主动发现率", "share found by grid workers", "rate"),
    "deploy_on_time_rate": ("按时派遣率", "deployed on time", "rate"),
    "progress_on_time_rate": ("按时反馈率", "progress reported on time", "rate"),
    "resolve_on_time_rate": ("按时办结率", "resolved on time", "rate"),
    "overdue": ("当前超期", "overdue now", "count"),
    "overdue_rate": ("超期率", "share overdue now", "rate"),
    "returns": ("退回次数", "returns", "count"),
    "returned_rate": ("退回率", "share of dispatches returned", "rate"),
    "reopened": ("重办事项", "matters reopened", "count"),
    "reopened_rate": ("重办率", "share reopened", "rate"),
    "supervisions": ("督办次数", "supervision notices", "count"),
    "closed": ("办结事项", "matters closed", "count"),
    "closure_rate": ("办结率", "closure rate", "rate"),
    "rated": ("回访评价", "call backs rated", "count"),
    "satisfaction": ("平均满意度", "mean satisfaction (1-5)", "mean5"),
    "satisfied_rate": ("满意率", "share satisfied (4-5)", "rate"),
    "calls": ("被吹哨次数", "whistle calls", "count"),
    "report_in_rate": ("按时报到率", "reported in on time", "rate"),
    "report_in_hours": ("平均报到用时(小时)", "mean hours to report in", "hours"),
    "reports_found": ("发现上报", "reports found", "count"),
    "verifications": ("核查", "verifications", "count"),
    "verify_on_time_rate": ("按时核查率", "verified on time", "rate"),
    "score": ("综合得分", "score (0-100)", "score"),
    "rank": ("排名", "rank", "rank"),
}.items()}
"""Every measure of the assessment tables, with its names and kind."""

_LOOP = ("overdue", "overdue_rate", "returns", "returned_rate", "reopened", "reopened_rate",
         "supervisions", "closed", "closure_rate", "rated", "satisfaction", "satisfied_rate")
AREA_COLUMNS: tuple[str, ...] = ("matters", "valid", "found", "found_rate", "deploy_on_time_rate",
                                 "progress_on_time_rate", "resolve_on_time_rate", *_LOOP)
"""Columns of a grid, community or township table (before ``score`` and ``rank``)."""
UNIT_COLUMNS: tuple[str, ...] = ("matters", "progress_on_time_rate", "resolve_on_time_rate",
                                 *_LOOP, "calls", "report_in_rate", "report_in_hours")
"""Columns of the unit (department) table: deployment is the dispatchers' job, not theirs."""
WORKER_COLUMNS: tuple[str, ...] = ("grids", "reports_found", "verifications", "verify_due",
                                   "verify_on_time_rate")
"""Columns of the grid-worker table."""
LEVELS: dict[str, str] = {"township": "township_code", "community": "community_code",
                          "grid": "grid_code"}
"""Area level → the incidents column holding its code."""
DIRECTIONS = ("higher", "lower")
def _frame_and_flags(frame: pd.DataFrame, now: Any, verify_within: Any
                     ) -> tuple[pd.DataFrame, Flags, pd.Timestamp]:
    prepared = prepare(frame)
    moment = pd.Timestamp(now)
    return prepared, loop_flags(prepared, now=moment,
                                verify_within=pd.Timedelta(verify_within)), moment


def area_measures(frame: pd.DataFrame, level: str, *, now: Any,
                  codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The measures of every grid, community or township as of ``now``.

    Parameters
    ----------
    frame : pandas.DataFrame
        An incident frame (see the module docstring).
    level : {"township", "community", "grid"}
    now : timestamp
        The moment the figures are taken at.
    codes : iterable of str, optional
        The areas to list (areas without matters get counts 0 and rates
        NaN); default the areas that have matters.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code, the columns of :data:`AREA_COLUMNS`.

    Raises
    ------
    ValueError
        For an unknown level.
    gridgis.errors.LayerError
        When the frame lacks ``reported_at``, ``status`` or ``category``.

    Examples
    --------
    >>> import gridgis
    >>> inc = gridgis.sample_district(scale=0.05).incidents
    >>> towns = area_measures(inc, "township", now="2026-11-01")
    >>> int(towns["matters"].sum()) == int((inc["reported_at"] <= "2026-11-01").sum())
    True
    >>> bool(towns["closure_rate"].between(0, 1).all())
    True
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    prepared, flags, _ = _frame_and_flags(frame, now, VERIFY_WITHIN)
    key = LEVELS[level]
    keys = prepared[key].astype(object) if key in prepared.columns else \
        pd.Series(None, index=prepared.index, dtype=object)
    table = rates(group_sums(flags, keys.where(keys.notna(), None)), flags.missing)
    table = table[list(AREA_COLUMNS)]
    if codes is not None:
        table = _reindex(table, codes)
    return table.rename_axis(key)


def _reindex(table: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    out = table.reindex(list(codes))
    for col in out.columns:
        if MEASURES[col].kind == "count" and table[col].notna().all():
            out[col] = out[col].fillna(0).astype(int)
    return out


def unit_measures(frame: pd.DataFrame, *, now: Any,
                  unit_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The measures of every unit (department, 承办单位) as of ``now``.

    A unit's matters are those it holds (``unit_id``); its returns are the
    ones it made (``returned_units`` from the events; without that column
    the returns recorded on the matters it holds); its report-in figures
    come from the whistle calls naming it (:func:`report_in_rates`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``unit_id``, the columns of :data:`UNIT_COLUMNS`.

    Examples
    --------
    >>> import gridgis
    >>> inc = gridgis.sample_district(scale=0.05).incidents
    >>> units = unit_measures(inc, now="2026-11-01")
    >>> bool(units["resolve_on_time_rate"].dropna().between(0, 1).all())
    True
    """
    prepared, flags, moment = _frame_and_flags(frame, now, VERIFY_WITHIN)
    held = prepared["unit_id"] if "unit_id" in prepared.columns else \
        pd.Series(None, index=prepared.index, dtype=object)
    sums = group_sums(flags, held.where(held.notna(), None))
    mean_score = sums["score"]
    if "returned_units" in prepared.columns:
        valid = flags.table["valid"].astype(bool)
        given_back = pd.Series([u for units, ok in zip(prepared["returned_units"], valid,
                                                       strict=True) if ok
                                for u in (units if isinstance(units, list | tuple) else ())
                                if u], dtype=object)
        returns = given_back.value_counts()
        sums = sums.reindex(sums.index.union(returns.index), fill_value=0)
        sums["returns"] = returns.reindex(sums.index, fill_value=0).astype(int)
        missing = flags.missing - {"returned"}
    else:
        missing = flags.missing
    calls = report_in_rates(prepared, now=moment)
    sums = sums.reindex(sums.index.union(calls.index), fill_value=0)
    sums["score"] = mean_score.reindex(sums.index)
    table = rates(sums, missing)
    for col in ("calls", "report_in_rate", "report_in_hours"):
        table[col] = calls[col].reindex(table.index) if len(calls) else np.nan
    table["calls"] = table["calls"].fillna(0).astype(int)
    if "whistle_calls" not in prepared.columns:
        table[["report_in_rate", "report_in_hours"]] = np.nan
    table = table[list(UNIT_COLUMNS)]
    if unit_ids is not None:
        table = _reindex(table, unit_ids)
    return table.rename_axis("unit_id")


def report_in_rates(frame: pd.DataFrame, *, now: Any) -> pd.DataFrame:
    """吹哨报到 per department: calls, report-ins, on-time rate and mean hours, as of ``now``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``unit_id``: ``calls`` (calls made by ``now``), ``due``
        (reported in or past the limit), ``reported_in``, ``on_time``,
        ``report_in_rate`` = on_time / due and ``report_in_hours`` (mean
        hours from the call to the report-in). Empty when no call was made
        or the frame has no ``whistle_calls``.
    """
    prepared = frame if "platform" in frame.columns else prepare(frame)
    calls = whistle_calls(prepared, now=pd.Timestamp(now))
    columns = ["calls", "due", "reported_in", "on_time", "report_in_rate", "report_in_hours"]
    if calls.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="unit_id"))
    grouped = calls.groupby("unit_id")
    out = grouped[["called", "due", "reported_in", "on_time"]].sum().rename(
        columns={"called": "calls"})
    out["report_in_rate"] = ratio(out["on_time"], out["due"])
    out["report_in_hours"] = grouped["hours"].mean()
    return out[columns]


def workers_table(people: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
    """Grid workers as a table: ``staff_id`` index, ``name`` and ``grids`` (a tuple of codes).

    ``people`` is a list of :class:`~gridgis.people.StaffMember` (others than
    grid workers are left out) or a roster frame (``role``, ``grids`` as
    ``a;b`` text).
    """
    rows = []
    if isinstance(people, pd.DataFrame):
        records: Iterable[Any] = people.to_dict("records")
    else:
        records = ({"staff_id": p.staff_id, "name": p.name, "role": str(p.role),
                    "grids": tuple(p.grids)} for p in people)
    for r in records:
        if str(r.get("role", "grid_worker")) != "grid_worker":
            continue
        grids = r.get("grids")
        if isinstance(grids, str):
            grids = tuple(g.strip() for g in grids.replace(",", ";").split(";") if g.strip())
        rows.append({"staff_id": str(r["staff_id"]), "name": r.get("name"),
                     "grids": tuple(grids or ())})
    return pd.DataFrame(rows, columns=["staff_id", "name", "grids"]).set_index("staff_id")


def worker_measures(frame: pd.DataFrame, workers: pd.DataFrame, *, now: Any,
                    verify_within: Any = VERIFY_WITHIN) -> pd.DataFrame:
    """Reports found and verifications of every grid worker as of ``now``.

    Parameters
    ----------
    frame : pandas.DataFrame
        An incident frame; ``reported_by`` / ``verified_by`` (the events'
        actors) are used when present.
    workers : pandas.DataFrame
        :func:`workers_table`: who serves which grids.
    now : timestamp
    verify_within : timedelta, default 24 hours
        Time allowed from the resolution to the on-site verification.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``workers``: ``name`` and the columns of
        :data:`WORKER_COLUMNS` (shared credit makes counts fractional).
    """
    prepared, flags, _ = _frame_and_flags(frame, now, verify_within)
    t = flags.table
    known = set(workers.index)
    serving: dict[str, list[str]] = {}
    for sid, grids in workers["grids"].items():
        for g in grids:
            serving.setdefault(g, []).append(sid)
    credit = {sid: np.zeros(3) for sid in workers.index}  # found, verified, on time
    due = dict.fromkeys(workers.index, 0.0)
    grid = prepared["grid_code"] if "grid_code" in prepared.columns else \
        pd.Series(None, index=prepared.index)

    def give(actor: Any, grid_code: Any, what: np.ndarray, *, to: dict | None = None,
             amount: float = 0.0) -> None:
        if isinstance(actor, str) and actor in known:
            shares = [(actor, 1.0)]
        else:
            team = serving.get(grid_code, [])
            shares = [(sid, 1.0 / len(team)) for sid in team]
        for sid, share in shares:
            if to is None:
                credit[sid] += share * what
            else:
                to[sid] += share * amount

    reporter = prepared.get("reported_by", pd.Series(None, index=prepared.index))
    verifier = prepared.get("verified_by", pd.Series(None, index=prepared.index))
    found = t["found"].to_numpy(bool)
    for i in np.flatnonzero(found):
        give(reporter.iloc[i], grid.iloc[i], np.array([1.0, 0, 0]))
    if "verify" not in flags.missing:
        verified, on_time = t["verified"].to_numpy(bool), t["verify_on_time"].to_numpy(bool)
        for i in np.flatnonzero(t["verify_due"].to_numpy(bool)):
            actor = verifier.iloc[i] if verified[i] else None
            give(actor, grid.iloc[i], np.zeros(3), to=due, amount=1.0)
            if verified[i]:
                give(actor, grid.iloc[i], np.array([0, 1.0, float(on_time[i])]))
    out = pd.DataFrame(index=workers.index)
    out["name"] = workers["name"]
    out["grids"] = workers["grids"].map(lambda g: "、".join(g))
    values = np.array([credit[s] for s in workers.index]).reshape(-1, 3)
    out["reports_found"] = values[:, 0]
    out["verifications"] = values[:, 1]
    out["verify_due"] = pd.Series(due).reindex(workers.index).to_numpy(float)
    out["verify_on_time_rate"] = ratio(pd.Series(values[:, 2], index=out.index),
                                        out["verify_due"])
    if "verify" in flags.missing:
        out[["verifications", "verify_due", "verify_on_time_rate"]] = np.nan
    return out.rename_axis("staff_id")


def load_weights(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The table of weights: ``measure`` index, ``weight`` (≥ 0) and ``direction``.

    Parameters
    ----------
    path : path-like, optional
        A CSV with the columns ``measure, weight, direction`` (``higher`` or
        ``lower`` is better); default the table shipped with gridgis
        (``gridgis/data/assessment_weights.csv``).

    Raises
    ------
    InputError
        Naming the row at fault: an unknown measure, a weight that is not a
        number ≥ 0, a direction other than higher/lower, a repeated measure.

    Examples
    --------
    >>> w = load_weights()
    >>> w.loc["resolve_on_time_rate", "direction"]
    'higher'
    """
    source = resources.files("gridgis").joinpath("data/assessment_weights.csv")
    try:
        with resources.as_file(source) if path is None else nullcontext(Path(path)) as where, \
                open(where, encoding="utf-8-sig") as fh:
            table = pd.read_csv(fh, dtype=str, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"权重表 {path or source} 无法读取 / the weights table "
                         f"{path or source} cannot be read: {exc}", field="weights") from None
    table.columns = [str(c).strip() for c in table.columns]
    lacking = {"measure", "weight", "direction"} - set(table.columns)
    if lacking:
        raise InputError(f"权重表缺少列 {', '.join(sorted(lacking))} / the weights table lacks "
                         f"{', '.join(sorted(lacking))}", field="weights")
    scorable = [m for m, d in MEASURES.items() if d.kind != "rank" and d.kind != "score"]
    rows = []
    for n, r in enumerate(table.itertuples(index=False), start=2):
        measure, direction = str(r.measure).strip(), str(r.direction).strip().lower()
        where = f"权重表第 {n} 行 / weights row {n}"
        if measure not in scorable:
            raise InputError(f"{where}: 未知指标 {measure!r}；可用 / unknown measure; known: "
                             f"{', '.join(scorable)}", field="weights")
        try:
            weight = float(r.weight)
        except (TypeError, ValueError):
            weight = np.nan
        if not np.isfinite(weight) or weight < 0:
            raise InputError(f"{where}: 权重须为不小于 0 的数 / the weight must be a number ≥ 0, "
                             f"got {r.weight!r}", field="weights")
        if direction not in DIRECTIONS:
            raise InputError(f"{where}: 方向须为 higher 或 lower / direction is higher or "
                             f"lower, got {r.direction!r}", field="weights")
        rows.append((measure, weight, direction))
    out = pd.DataFrame(rows, columns=["measure", "weight", "direction"])
    repeated = out["measure"][out["measure"].duplicated()]
    if len(repeated):
        raise InputError(f"权重表重复列出 {repeated.iloc[0]} / the weights table lists "
                         f"{repeated.iloc[0]} twice", field="weights")
    return out.set_index("measure")


def _grade(values: pd.Series, kind: str) -> pd.Series:
    v = values.astype(float)
    if kind == "rate":
        return v.clip(0, 1)
    if kind == "mean5":
        return ((v - 1) / 4).clip(0, 1)
    top = v.max()
    return v / top if np.isfinite(top) and top > 0 else pd.Series(np.nan, index=v.index)


def score(table: pd.DataFrame, weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """``table`` with ``score`` (0–100) and ``rank`` (1 best) from the weights.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of one level (:func:`area_measures`, :func:`unit_measures`,
        :func:`worker_measures`).
    weights : pandas.DataFrame, optional
        :func:`load_weights`; default the shipped table.

    Returns
    -------
    pandas.DataFrame
        A copy with ``score`` (NaN for a row with no graded measure) and
        ``rank`` (nullable integer; ties share the better rank).

    Examples
    --------
    >>> t = pd.DataFrame({"resolve_on_time_rate": [0.9, 0.5, np.nan]}, index=["a", "b", "c"])
    >>> ranked = score(t)
    >>> ranked["score"].tolist(), ranked["rank"].tolist()
    ([90.0, 50.0, nan], [1, 2, <NA>])
    """
    weights = load_weights() if weights is None else weights
    used = [m for m in weights.index if m in table.columns and weights.loc[m, "weight"] > 0]
    total = pd.Series(0.0, index=table.index)
    mass = pd.Series(0.0, index=table.index)
    for m in used:
        grade = _grade(table[m], MEASURES[m].kind)
        if weights.loc[m, "direction"] == "lower":
            grade = 1 - grade
        w = float(weights.loc[m, "weight"])
        have = grade.notna()
        total += (grade.fillna(0) * w).where(have, 0.0)
        mass += have * w
    out = table.copy()
    out["score"] = (100 * total / mass.where(mass > 0)).round(2)
    out["rank"] = out["score"].rank(ascending=False, method="min").astype("Int64")
    return out


@dataclass
class Assessment:
    """Every level's table, scored and ranked, and the figures of the whole frame.

    ``levels`` maps ``township``, ``community``, ``grid``, ``unit`` and (with
    workers) ``grid_worker`` to tables sorted by rank; ``report_in`` is
    :func:`report_in_rates`.
    """

    now: pd.Timestamp
    levels: dict[str, pd.DataFrame] = field(default_factory=dict)
    report_in: pd.DataFrame = field(default_factory=pd.DataFrame)


def _ranked(table: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    return score(table, weights).sort_values(["rank", "score"], na_position="last",
                                             kind="stable")


def assess(frame: pd.DataFrame, *, now: Any, weights: pd.DataFrame | None = None,
           workers: pd.DataFrame | None = None,
           codes: dict[str, Sequence[str]] | None = None,
           verify_within: Any = VERIFY_WITHIN) -> Assessment:
    """Score and rank every level of the frame as of ``now``.

    Parameters
    ----------
    frame : pandas.DataFrame
        An incident frame.
    now : timestamp
    weights : pandas.DataFrame, optional
        :func:`load_weights`; default the shipped table.
    workers : pandas.DataFrame, optional
        :func:`workers_table`; without it there is no grid-worker level.
    codes : dict, optional
        Per level (``township``, ``community``, ``grid``, ``unit``) the codes
        to list, matters or not.
    verify_within : timedelta, default 24 hours

    Returns
    -------
    Assessment

    Examples
    --------
    >>> import gridgis
    >>> inc = gridgis.sample_district(scale=0.05).incidents
    >>> a = assess(inc, now="2026-11-01")
    >>> int(a.levels["township"]["rank"].min())
    1
    """
    weights = load_weights() if weights is None else weights
    codes = codes or {}
    moment = pd.Timestamp(now)
    out = Assessment(now=moment)
    for level in LEVELS:
        out.levels[level] = _ranked(area_measures(frame, level, now=moment,
                                                  codes=codes.get(level)), weights)
    out.levels["unit"] = _ranked(unit_measures(frame, now=moment, unit_ids=codes.get("unit")),
                                 weights)
    if workers is not None:
        out.levels["grid_worker"] = _ranked(
            worker_measures(frame, workers, now=moment, verify_within=verify_within), weights)
    out.report_in = report_in_rates(frame, now=moment)
    return out
