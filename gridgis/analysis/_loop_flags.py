"""Per-incident flags of the closed loop as of a moment: what assessment sums up.

An *incident frame* has the columns of the store's record
(:class:`gridgis.incidents.record.IncidentRecord`), from a store
(:func:`gridgis.store.frame.incident_frame`) or from an archive's
``incidents`` layer. Columns an archive lacks make the measures that need
them unavailable (NaN), never an error. Everything is judged *as of*
``now``: a timestamp after ``now`` counts as not yet happened, so a past
period's figures stay what they were (counters — returns, reopenings,
supervisions — and the status are taken as recorded).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridgis.errors import LayerError

__all__ = ["VERIFY_WITHIN", "Flags", "group_sums", "loop_flags", "prepare", "rates", "ratio",
           "whistle_calls"]

VERIFY_WITHIN = pd.Timedelta(hours=24)
"""Default time from a resolution to its on-site verification (the dispatcher's default)."""
TIMES = ("reported_at", "respond_by", "progress_by", "resolve_by", "accepted_at",
         "dispatched_at", "progress_at", "resolved_at", "verified_at", "closed_at",
         "callback_at", "escalated_at")
NEEDED = ("reported_at", "status", "category")
STAGES: dict[str, tuple[str, ...]] = {
    "deploy": ("respond_by", "dispatched_at"),
    "progress": ("progress_by", "progress_at", "dispatched_at", "resolved_at"),
    "resolve": ("resolve_by", "resolved_at"),
    "closure": ("closed_at",),
    "handled": ("resolved_at",),
    "returned": ("returned",),
    "reopened": ("reopened", "resolved_at"),
    "supervisions": ("supervisions",),
    "satisfaction": ("satisfaction",),
    "township_or_below": ("escalation_level", "closed_at"),
    "verify": ("resolved_at", "verified_at"),
}
"""Which columns each group of measures needs."""


def prepare(frame: pd.DataFrame, *, categories: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of an incident frame with parsed times, whistle calls as lists and a platform.

    Raises
    ------
    LayerError
        When ``reported_at``, ``status`` or ``category`` is missing.
    """
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise LayerError(f"事件缺少字段 {', '.join(missing)} / the incidents lack "
                         f"{', '.join(missing)}, needed by the assessment", layer="incidents",
                         column=missing[0])
    out = pd.DataFrame(frame).copy()
    for name in TIMES:
        if name in out.columns and not pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = pd.to_datetime(out[name], errors="coerce")
    if "whistle_calls" in out.columns:
        out["whistle_calls"] = out["whistle_calls"].map(_calls)
    if "platform" not in out.columns:
        if categories is None:
            from gridgis.categories import load_categories

            categories = load_categories()
        out["platform"] = out["category"].map(categories["platform"])
    for name in ("escalation_level", "returned", "reopened", "supervisions", "satisfaction"):
        if name in out.columns:
            out[name] = pd.to_numeric(out[name], errors="coerce")
    return out


def _calls(value: object) -> list[dict]:
    """Whistle calls from a list or from JSON text (an archive's column); [] when blank."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            return []
    if isinstance(value, list | tuple):
        return [dict(c) for c in value if isinstance(c, dict)]
    return []


@dataclass
class Flags:
    """Per-incident 0/1 flags (and scores) with the index of the frame, and what is missing.

    ``missing`` names the groups of :data:`STAGES` whose columns the frame lacks.
    """

    table: pd.DataFrame
    missing: set[str] = field(default_factory=set)


def _has(frame: pd.DataFrame, names: Iterable[str]) -> bool:
    return all(n in frame.columns for n in names)


def _by(frame: pd.DataFrame, name: str, now: pd.Timestamp) -> pd.Series:
    """Whether the moment ``name`` happened by ``now`` (False where absent or later)."""
    if name not in frame.columns:
        return pd.Series(False, index=frame.index)
    at = frame[name]
    return (at.notna() & (at <= now)).astype(bool)


def _int(mask: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(mask, dtype=bool).astype(int)


def loop_flags(frame: pd.DataFrame, *, now: pd.Timestamp,
               verify_within: pd.Timedelta = VERIFY_WITHIN) -> Flags:
    """The flags of every incident of a :func:`prepare`-d frame as of ``now``.

    See :mod:`gridgis.analysis.assessment` for what each flag means.
    """
    f = frame
    missing = {group for group, cols in STAGES.items() if not _has(f, cols)}
    valid = (f["status"].astype(str) != "rejected") & (f["reported_at"] <= now)
    t = pd.DataFrame(index=f.index)
    t["matters"] = _int(f["reported_at"] <= now)
    t["valid"] = _int(valid)
    src = f["source"].astype(str) if "source" in f.columns else pd.Series("", index=f.index)
    t["found"] = _int(valid & (src == "grid_worker"))

    dispatched = _by(f, "dispatched_at", now)
    if "escalated_at" in f.columns:
        # escalation released the unit: the matter waits (accepted) for a dispatch at the new
        # level; one whose state went on was deployed again (an archive may keep one time)
        esc = f["escalated_at"]
        waiting = f["status"].astype(str).isin(["reported", "accepted"])
        dispatched &= ~(esc.notna() & (esc <= now) & (f["dispatched_at"] < esc) & waiting)
    resolved = _by(f, "resolved_at", now)
    closed = _by(f, "closed_at", now) & (f["status"].astype(str) == "closed") & valid
    open_now = valid & ~closed

    overdue = pd.Series(False, index=f.index)
    if "deploy" not in missing:
        late = f["respond_by"] < now
        t["deploy_due"] = _int(valid & (dispatched | late))
        t["deploy_on_time"] = _int(valid & dispatched & (f["dispatched_at"] <= f["respond_by"]))
        overdue |= ~dispatched & late
    if "progress" not in missing:
        # 1-3-0's "3": the progress — or the result itself — reported by the progress limit
        first = f[["progress_at", "resolved_at"]].where(
            f[["progress_at", "resolved_at"]] <= now).min(axis=1)
        reported = first.notna()
        late = f["progress_by"] < now
        t["progress_due"] = _int(valid & dispatched & (reported | late))
        t["progress_on_time"] = _int(valid & dispatched & reported & (first <= f["progress_by"]))
        overdue |= dispatched & ~reported & late
    if "resolve" not in missing:
        late = f["resolve_by"] < now
        t["resolve_due"] = _int(valid & (resolved | late))
        t["resolve_on_time"] = _int(valid & resolved & (f["resolved_at"] <= f["resolve_by"]))
        t["closure_due"] = _int(valid & late)
        t["closed_due"] = _int(valid & late & closed)
        overdue |= ~resolved & late
    t["overdue"] = _int(open_now & overdue)
    t["open"] = _int(open_now)
    t["closed"] = _int(closed)
    t["handled"] = _int(valid & (resolved | closed))
    t["dispatched"] = _int(valid & f["dispatched_at"].notna()) if "dispatched_at" in f.columns \
        else 0
    if "returned" not in missing:
        t["returns"] = f["returned"].fillna(0).astype(int).where(valid, 0)
    if "reopened" not in missing:
        again = valid & (f["reopened"].fillna(0) > 0)
        t["reopened"] = _int(again)
        t["reopen_base"] = _int(valid & (resolved | closed | again))
    if "supervisions" not in missing:
        t["supervisions"] = f["supervisions"].fillna(0).astype(int).where(valid, 0)
    if "township_or_below" not in missing:
        t["closed_low"] = _int(closed & (f["escalation_level"].fillna(0) <= 1))
    t["escalated"] = _int(valid & (f["escalation_level"].fillna(0) >= 1)) \
        if "escalation_level" in f.columns else 0
    if "satisfaction" not in missing:
        score = f["satisfaction"].astype(float)
        if "callback_outcome" in f.columns:  # only call backs that reached the reporter
            score = score.where(f["callback_outcome"].astype(str) == "reached")
        when = "callback_at" if "callback_at" in f.columns else "closed_at"
        if when in f.columns:
            score = score.where(_by(f, when, now))
        score = score.where(valid & score.between(1, 5))
        t["rated"] = _int(score.notna())
        t["satisfied"] = _int(score >= 4)
        t["score"] = score
    if "verify" not in missing:
        verified = _by(f, "verified_at", now) & resolved & valid
        lag = f["verified_at"] - f["resolved_at"]
        waited = (now - f["resolved_at"]) > verify_within
        t["verified"] = _int(verified)
        t["verify_due"] = _int(valid & resolved & (verified | waited))
        t["verify_on_time"] = _int(verified & (lag <= verify_within))
    return Flags(t, missing)


def _moment(value: object) -> pd.Timestamp:
    """A call's time as naive China time (NaT when missing or not a time)."""
    at = pd.to_datetime(value, errors="coerce")
    if pd.notna(at) and at.tzinfo is not None:
        at = at.tz_convert("Asia/Shanghai").tz_localize(None)
    return at


def whistle_calls(frame: pd.DataFrame, *, now: pd.Timestamp) -> pd.DataFrame:
    """One row per whistle call made by ``now``: unit, area codes and report-in flags.

    Columns: ``incident_id`` (the frame's index), ``unit_id``, ``grid_code``,
    ``community_code``, ``township_code``, ``called`` 1, ``due`` (reported in
    or past its limit), ``reported_in``, ``on_time`` (reported in by its
    limit), ``hours`` (from the call to the report-in). Empty (with these
    columns) when the frame has no ``whistle_calls``.
    """
    columns = ["incident_id", "unit_id", "grid_code", "community_code", "township_code",
               "called", "due", "reported_in", "on_time", "hours"]
    if "whistle_calls" not in frame.columns:
        return pd.DataFrame(columns=columns)
    rows = []
    for iid, calls, *codes in zip(frame.index, frame["whistle_calls"],
                                  *[frame[c] if c in frame.columns else [None] * len(frame)
                                    for c in ("grid_code", "community_code", "township_code")],
                                  strict=True):
        for call in calls:
            called, due, came = (_moment(call.get(k)) for k in ("called_at", "due_at",
                                                                "reported_in_at"))
            if pd.isna(called) or called > now or not call.get("unit_id"):
                continue
            came = came if pd.notna(came) and came <= now else pd.NaT
            rows.append([iid, str(call["unit_id"]), *codes, 1,
                         int(pd.notna(came) or (pd.notna(due) and due < now)),
                         int(pd.notna(came)), int(pd.notna(came) and pd.notna(due) and came <= due),
                         (came - called).total_seconds() / 3600 if pd.notna(came) else np.nan])
    return pd.DataFrame(rows, columns=columns)


_SUMS = ("matters", "valid", "found", "deploy_due", "deploy_on_time", "progress_due",
         "progress_on_time", "resolve_due", "resolve_on_time", "overdue", "returns",
         "dispatched", "reopened", "reopen_base", "supervisions", "closed", "rated",
         "satisfied")
_NEEDS = {"deploy_on_time_rate": "deploy", "progress_on_time_rate": "progress",
          "resolve_on_time_rate": "resolve", "returns": "returned", "returned_rate": "returned",
          "reopened": "reopened", "reopened_rate": "reopened", "supervisions": "supervisions",
          "rated": "satisfaction", "satisfaction": "satisfaction",
          "satisfied_rate": "satisfaction", "closed": "closure", "closure_rate": "closure",
          "verifications": "verify", "verify_due": "verify", "verify_on_time_rate": "verify"}
"""Measure → the group of columns it needs (see ``_loop_flags.STAGES``)."""


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return (num.astype(float) / den.where(den > 0)).astype(float)


def group_sums(flags: Flags, keys: pd.Series | np.ndarray) -> pd.DataFrame:
    t = flags.table
    cols = [c for c in _SUMS if c in t.columns]
    grouped = t.groupby(np.asarray(keys, dtype=object), dropna=True)
    sums = grouped[cols].sum()
    for c in _SUMS:
        if c not in sums.columns:
            sums[c] = 0
    sums["score"] = grouped["score"].mean() if "score" in t.columns else np.nan
    return sums


def rates(sums: pd.DataFrame, missing: set[str]) -> pd.DataFrame:
    out = sums.copy()
    out["found_rate"] = ratio(sums["found"], sums["valid"])
    out["deploy_on_time_rate"] = ratio(sums["deploy_on_time"], sums["deploy_due"])
    out["progress_on_time_rate"] = ratio(sums["progress_on_time"], sums["progress_due"])
    out["resolve_on_time_rate"] = ratio(sums["resolve_on_time"], sums["resolve_due"])
    out["overdue_rate"] = ratio(sums["overdue"], sums["valid"])
    out["returned_rate"] = ratio(sums["returns"], sums["dispatched"] + sums["returns"])
    out["reopened_rate"] = ratio(sums["reopened"], sums["reopen_base"])
    out["closure_rate"] = ratio(sums["closed"], sums["valid"])
    out["satisfaction"] = sums["score"].astype(float)
    out["satisfied_rate"] = ratio(sums["satisfied"], sums["rated"])
    for measure, group in _NEEDS.items():
        if group in missing and measure in out.columns:
            out[measure] = np.nan
    return out
