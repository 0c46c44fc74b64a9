"""The closed loop of the sample's incidents as practised: 1-3-0, escalation, call back.

Each matter goes the way the state machine (:mod:`gridgis.dispatch.rules`)
takes it, so that the archive's figures come from the loop's own rules:

- report, acceptance by the community within the category's deploy limit;
- escalation (升级) of the matters the community cannot resolve, with a
  reason, BEFORE dispatch: the level above then holds the matter and its
  deadlines count from the escalation (``escalated_at``); a matter the county
  holds went up both levels at that moment;
- dispatch to a unit, the unit's first progress report (1-3-0's "3", most
  within the progress limit, some late) and one more every progress period
  while the matter is handled and its resolve deadline has not passed;
- a matter that cannot be solved now is shelved (挂账) an hour after dispatch
  and stays on the board;
- resolution, verification on site, call back (回访): reached for most, the
  rating of a reached reporter below 3 reopens the matter, which is handled
  again with the category's full resolve limit from the call back; the
  rounds before a reopening are kept (``reopenings``), the last call back's
  rating is ``satisfaction``.

Times are drawn in whole minutes (``datetime64[m]``); the archive ends at
``now`` and anything later has not happened yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "COUNTY_REASONS",
    "MINUTE",
    "NAT",
    "SHELVE_AFTER",
    "START_AFTER",
    "TOWNSHIP_REASONS",
    "Deployment",
    "Handling",
    "deploy",
    "handle",
    "rounds_json",
]

MINUTE = np.timedelta64(1, "m")
NAT = np.datetime64("NaT", "m")
START_AFTER = np.timedelta64(30, "m")
"""The unit starts work half an hour after it is dispatched (and after a reopening)."""
SHELVE_AFTER = np.timedelta64(60, "m")
"""A matter that cannot be solved now is shelved an hour after its dispatch."""
VERIFY_WITHIN = np.timedelta64(24 * 60, "m")
CALLBACK_WITHIN = np.timedelta64(72 * 60, "m")
SHELVED_REVIEW = np.timedelta64(30 * 24 * 60, "m")

# share escalated above the community, and the share of those the county takes
ESCALATION = {"X01": (.5, .5), "D04": (.25, .4), "D06": (.25, .4), "D03": (.2, .3),
              "D05": (.12, .25), "S04": (.1, .35), "M01": (.1, .3), "P02": (.08, .3),
              "S02": (.08, .3)}
ESCALATION_DEFAULT = (.05, .3)
# matters that cannot be solved now (挂账): land, road works, drains, property disputes
SHELVED_SHARE = {"D03": .12, "S02": .08, "E01": .05, "D05": .06, "E03": .04, "M02": .04,
                 "P01": .02, "E02": .02, "D04": .02}
# difficult matters whose handling runs long past the limit (积案)
HARD_SHARE = {"D03": .15, "D04": .08, "D05": .1, "D06": .08, "S02": .08, "E01": .06,
              "E03": .08, "M02": .06, "P01": .04}
HARD_DEFAULT = .025
REJECTED_SHARE = .025
UNREACHABLE_SHARE = .05
FIRST_RATING = [.6, .25, .09, .04, .02]
"""Call-back ratings 5, 4, 3, 2, 1 after the first handling (before the lateness penalty)."""
AGAIN_RATING = [.55, .3, .1, .03, .02]
"""Ratings after a matter was handled again."""
SATISFIED_FROM = 3

TOWNSHIP_REASONS = (
    "涉及多个部门，社区协调不了", "社区无执法权，需乡镇（街道）处置", "需乡镇（街道）协调",
    "当事人不接受社区调解，需乡镇（街道）调处", "涉及金额较大，社区无力调处",
    "需乡镇（街道）综合执法队处置",
)
"""Why a community passed a matter to its township (升级理由)."""
COUNTY_REASONS = (
    "涉及多个乡镇（街道），需区级协调", "需区级部门联合处置", "乡镇（街道）调处未果，矛盾复杂",
    "社会影响较大，需区级统筹", "涉及区级职能部门审批权限",
)
"""Why a township passed a matter on to the county."""


def _lognormal(rng: np.random.Generator, median: float | np.ndarray, sigma: float,
               n: int) -> np.ndarray:
    return median * np.exp(rng.normal(0, sigma, n))


def _minutes(values: np.ndarray) -> np.ndarray:
    """Float minutes as whole-minute durations."""
    return np.round(values).astype("int64").astype("timedelta64[m]")


def _share(share: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """A share of each time limit, in whole minutes."""
    return _minutes(share * limit.astype("int64"))


def _upto(times: np.ndarray, now: np.datetime64) -> np.ndarray:
    """The times that have happened by ``now`` (later ones as NaT)."""
    return np.where(times <= now, times, NAT)


@dataclass(frozen=True)
class Deployment:
    """Report to dispatch: who holds each matter and its deadlines (arrays of length n)."""

    respond: np.ndarray  # the category's limits, timedelta64[m]
    progress: np.ndarray
    resolve: np.ndarray
    rejected: np.ndarray  # bool
    accepted: np.ndarray  # datetime64[m], NaT when not yet (or rejected)
    level: np.ndarray  # 0 community, 1 township, 2 county
    escalated: np.ndarray  # datetime64[m], NaT when held by the community
    reason: np.ndarray  # object: the escalation's reason, None when not escalated
    start: np.ndarray  # the deadlines count from here (the report or the escalation)
    dispatched: np.ndarray  # datetime64[m], NaT when not yet


def deploy(rng: np.random.Generator, cat: np.ndarray, reported: np.ndarray,
           categories: pd.DataFrame, now: np.datetime64) -> Deployment:
    """Acceptance, escalation and dispatch of every matter.

    Escalation comes after the community accepted the matter and before any
    dispatch; the level above then dispatches within its own deploy limit.
    """
    n = len(cat)
    table = categories.loc[cat]
    respond, progress, resolve = (table[k].to_numpy().astype("timedelta64[m]")
                                  for k in ("respond", "progress", "resolve"))
    rejected = rng.random(n) < REJECTED_SHARE
    accepted = reported + _share(_lognormal(rng, 0.12, 0.9, n), respond)
    p_up, p_county = (np.array([ESCALATION.get(c, ESCALATION_DEFAULT)[i] for c in cat])
                      for i in (0, 1))
    up = ~rejected & (rng.random(n) < p_up)
    county = rng.random(n) < p_county
    delay = np.maximum(_share(_lognormal(rng, 0.3, 0.8, n), respond), 5 * MINUTE)
    escalated = np.where(up, accepted + delay, NAT)
    escalated = _upto(escalated, now)
    level = np.where(~np.isnat(escalated), 1 + county, 0)
    start = np.where(level > 0, escalated, reported)
    # dispatch: within the deploy limit of whoever holds the matter; minutes for emergencies
    lead = np.where(level > 0, _share(_lognormal(rng, 0.12, 0.9, n), respond), 0 * MINUTE)
    typical = np.minimum(25.0, 0.3 * respond.astype("int64"))
    dispatched = np.where(level > 0, escalated, accepted) + lead + _minutes(
        _lognormal(rng, typical, 0.8, n))
    reason = np.full(n, None, dtype=object)
    town = rng.choice(TOWNSHIP_REASONS, n)
    above = rng.choice(COUNTY_REASONS, n)
    reason[level == 1] = town[level == 1]
    both = level == 2  # one text per step, in order (the seed takes them apart)
    reason[both] = [f"{a}；{b}" for a, b in zip(town[both], above[both], strict=True)]
    accepted = np.where(rejected, NAT, _upto(accepted, now))
    dispatched = np.where(rejected | np.isnat(accepted), NAT, _upto(dispatched, now))
    return Deployment(respond=respond, progress=progress, resolve=resolve, rejected=rejected,
                      accepted=accepted, level=level, escalated=escalated, reason=reason,
                      start=start, dispatched=dispatched)


@dataclass(frozen=True)
class Handling:
    """From dispatch to the last call back (arrays of length n; NaT: not (yet) happened)."""

    progress_at: np.ndarray
    progress_reports: np.ndarray
    shelved_at: np.ndarray
    resolved: np.ndarray  # of the current round
    verified: np.ndarray
    callback_at: np.ndarray  # the latest call back (a dissatisfied one reopened the matter)
    callback_outcome: np.ndarray  # object: reached / unreachable / None
    satisfaction: np.ndarray  # float, NaN when none or unreachable
    closed: np.ndarray
    reopened: np.ndarray  # int: rounds before the current one
    round_start: np.ndarray  # the current round's start (a reopening), NaT for the first
    resolve_by: np.ndarray  # the current resolve deadline
    rounds: list[list[tuple[np.datetime64, np.datetime64, np.datetime64, float]]]
    status: np.ndarray


def handle(rng: np.random.Generator, cat: np.ndarray, dep: Deployment, ready: np.ndarray,
           now: np.datetime64) -> Handling:
    """Progress, shelving, resolution and call backs (reopening dissatisfied matters).

    ``ready`` is when the departments a whistle called have come (NaT
    without a whistle): the matter is resolved after that.
    """
    n = len(cat)
    d = dep.dispatched
    valid = ~np.isnat(d)
    shelve = valid & (rng.random(n) < np.array([SHELVED_SHARE.get(c, 0.0) for c in cat]))
    hard = rng.random(n) < np.array([HARD_SHARE.get(c, HARD_DEFAULT) for c in cat])
    share = _lognormal(rng, 0.32, 0.75, n) * (1 + 0.4 * dep.level)
    share = np.where(hard, share * _lognormal(rng, 5.0, 1.8, n), share)
    resolved = dep.start + _share(np.maximum(share, 0.02), dep.resolve)
    resolved = np.maximum(resolved, d + _minutes(_lognormal(rng, 40.0, 0.6, n)))
    resolved = np.where(np.isnat(ready), resolved, np.maximum(resolved, ready))
    # 1-3-0's "3": the first progress report, after the work started and before the result
    earliest = d + START_AFTER + MINUTE
    progress_by = dep.start + dep.progress
    window = np.maximum((progress_by - earliest).astype("int64"), 60)
    first = earliest + _minutes(_lognormal(rng, 0.4, 0.85, n) * window)
    first = np.maximum(np.minimum(first, resolved - 2 * MINUTE), earliest)
    resolved = np.maximum(resolved, first + 2 * MINUTE)
    shelved_at = np.where(shelve, d + SHELVE_AFTER, NAT)
    first = np.where(shelve | ~valid, NAT, first)
    resolved = np.where(shelve | ~valid, NAT, resolved)

    rounds, current, closes = _rounds(rng, dep, resolved, now)
    r_cur, v_cur, c_cur, cb_at, outcome, score, start_cur, resolve_by = current
    # later progress reports: one every progress period while handled and not yet overdue
    resolve_by0 = dep.start + dep.resolve
    soon = now + MINUTE  # reports up to now
    stop = np.minimum(np.where(np.isnat(resolved), soon, np.minimum(resolved, soon)),
                      resolve_by0)
    first_done = first <= now
    later = np.where(first_done & (stop > first),
                     (stop - first - MINUTE).astype("int64") // dep.progress.astype("int64"),
                     0)
    reports = np.where(first_done, 1 + np.maximum(later, 0), 0)
    # states as the seed replays them (the unit starts half an hour after dispatch)
    status = np.full(n, "reported", dtype=object)
    status[~np.isnat(dep.accepted)] = "accepted"
    status[valid] = "dispatched"
    working = valid & (((now - d) > np.timedelta64(2, "h")) | first_done)
    status[working] = "in_progress"
    again = ~np.isnat(start_cur)
    status[again & (now < start_cur + START_AFTER)] = "reopened"
    status[r_cur <= now] = "resolved"
    status[v_cur <= now] = "verified"
    status[closes] = "closed"
    status[shelve & (shelved_at <= now)] = "shelved"
    status[dep.rejected] = "rejected"
    return Handling(
        progress_at=np.where(first_done, first, NAT), progress_reports=reports,
        shelved_at=_upto(shelved_at, now), resolved=_upto(r_cur, now),
        verified=_upto(v_cur, now), callback_at=cb_at, callback_outcome=outcome,
        satisfaction=score, closed=np.where(closes, c_cur, NAT),
        reopened=np.array([len(r) for r in rounds]), round_start=start_cur,
        resolve_by=resolve_by, rounds=rounds, status=status)


def _rounds(rng: np.random.Generator, dep: Deployment, resolved: np.ndarray,
            now: np.datetime64) -> tuple[list, tuple, np.ndarray]:
    """Resolve, verify, call back; again after each dissatisfied call back."""
    n = len(resolved)
    rounds: list[list] = [[] for _ in range(n)]
    r_cur, start_cur = resolved.copy(), np.full(n, NAT)
    resolve_by = dep.start + dep.resolve
    v_cur, c_cur = np.full(n, NAT), np.full(n, NAT)
    cb_at, outcome = np.full(n, NAT), np.full(n, None, dtype=object)
    score_cur = np.full(n, np.nan)
    closes = np.zeros(n, dtype=bool)
    active = (~np.isnat(resolved)).copy()
    probs = FIRST_RATING
    for k in range(12):  # a handful of rounds at most; the loop ends long before
        idx = np.flatnonzero(active)
        if not idx.size:
            break
        m = idx.size
        if k:
            begun = c_cur[idx]
            start_cur[idx] = begun
            resolve_by[idx] = begun + dep.resolve[idx]
            share = np.maximum(_lognormal(rng, 0.2, 0.7, m), 0.01)
            r_cur[idx] = begun + START_AFTER + MINUTE + _share(share, dep.resolve[idx])
        v = r_cur[idx] + _minutes(_lognormal(rng, 300.0, 0.7, m))
        c = v + _minutes(_lognormal(rng, 600.0, 0.6, m))
        v_cur[idx], c_cur[idx] = v, c
        late = (r_cur[idx] > resolve_by[idx]).astype(int)
        rating = rng.choice([5, 4, 3, 2, 1], m, p=probs) - late * rng.integers(0, 3, m)
        rating = np.clip(rating, 1, 5).astype(float)
        reached = rng.random(m) >= UNREACHABLE_SHARE
        called = c <= now
        done = idx[called]
        cb_at[done] = c[called]
        outcome[done] = np.where(reached[called], "reached", "unreachable")
        score_cur[done] = np.where(reached[called], rating[called], np.nan)
        unhappy = called & reached & (rating < SATISFIED_FROM)
        closes[idx[called & ~unhappy]] = True
        for i, r, vv, cc, s in zip(idx[unhappy], r_cur[idx][unhappy], v[unhappy], c[unhappy],
                                   rating[unhappy], strict=True):
            rounds[i].append((r, vv, cc, float(s)))
        active[:] = False
        active[idx[unhappy]] = True
        probs = AGAIN_RATING
    current = (r_cur, v_cur, c_cur, cb_at, outcome, score_cur, start_cur, resolve_by)
    return rounds, current, closes


def rounds_json(rounds: list[tuple]) -> str | None:
    """The rounds before each reopening as JSON text (None when never reopened)."""
    if not rounds:
        return None
    return json.dumps([{"resolved_at": _iso(r), "verified_at": _iso(v), "callback_at": _iso(c),
                        "satisfaction": s} for r, v, c, s in rounds], ensure_ascii=False)


def _iso(t: np.datetime64) -> str:
    return t.astype("datetime64[s]").item().isoformat(timespec="seconds")
