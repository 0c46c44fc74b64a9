"""督办 in the sample's archive: which overdue stages and report-ins were supervised.

The platform's supervision sweep runs every quarter hour (on the quarter
hours of the clock). A sweep notifies the level above of everything then
overdue and not yet supervised — the current stage past its deadline, the
called departments past their report-in limit — in one act, and each such
stage or call only once. The stages and their deadlines are those of the
state machine (:mod:`gridgis.dispatch.effects`): the deploy limit from the
report or the escalation, the progress limit from the dispatch (or at once
when dispatched after it), the resolve limit after a progress report (or at
once when reported after it), a day to verify, three days to call back, a
new resolve limit after a dissatisfied call back, thirty days' review of a
shelved matter. Events at the moment of a sweep come before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gridgis.sample._loop_history import Deployment, Handling
    from gridgis.sample._whistles import Call

__all__ = ["CLOSE", "REPORT_IN", "STAGE", "SWEEP_MINUTES", "WHISTLE", "supervise",
           "supervisions"]

SWEEP_MINUTES = 15
"""The supervision sweep runs every quarter hour."""
STAGE, CLOSE, WHISTLE, REPORT_IN = range(4)
"""Kinds of event the sweep sees: a new stage (its deadline), the end, calls, a report-in."""


def supervise(events: Sequence[tuple[int, int, int, object]], call_due: Sequence[int],
              now: int) -> tuple[int, set[int]]:
    """Run the sweeps over one matter's history, in minutes since the epoch.

    Parameters
    ----------
    events : sequence of (minute, order, kind, value)
        Sorted by minute and order. ``STAGE``: the new stage's deadline
        (minutes); ``CLOSE``: the matter ends; ``WHISTLE``: the indices of the
        calls made; ``REPORT_IN``: the index of the call answered.
    call_due : sequence of int
        Each call's report-in deadline.
    now : int
        The end of the archive: sweeps up to this minute.

    Returns
    -------
    int
        How many supervision acts (督办) the matter received.
    set of int
        The calls that were supervised.

    Examples
    --------
    >>> supervise([(0, 0, STAGE, 60), (100, 1, STAGE, 200)], [], 300)
    (2, set())
    >>> supervise([(0, 0, STAGE, 60), (70, 1, STAGE, 200)], [], 300)  # ended before a sweep
    (1, set())
    """
    due: int | None = None
    supervised_due: int | None = None
    open_calls: list[int] = []
    answered: set[int] = set()
    noticed: set[int] = set()
    count = 0
    i = 0
    while True:
        nxt = events[i][0] if i < len(events) else None
        pending = [call_due[c] for c in open_calls if c not in answered and c not in noticed]
        if due is not None and due != supervised_due:
            pending.append(due)
        if pending:
            sweep = (min(pending) // SWEEP_MINUTES + 1) * SWEEP_MINUTES
            if sweep <= now and (nxt is None or sweep < nxt):
                count += 1
                if due is not None and due < sweep:
                    supervised_due = due
                noticed.update(c for c in open_calls
                               if c not in answered and call_due[c] < sweep)
                continue
        if nxt is None:
            break
        _, _, kind, value = events[i]
        i += 1
        if kind == STAGE:
            due = value  # type: ignore[assignment]
        elif kind == CLOSE:
            break
        elif kind == WHISTLE:
            open_calls.extend(value)  # type: ignore[arg-type]
        else:
            answered.add(value)  # type: ignore[arg-type]
    return count, noticed


def _ints(times: np.ndarray) -> list[int | None]:
    """datetime64/timedelta64 values as whole minutes (None for NaT)."""
    values = times.astype("int64")
    bad = np.isnat(times)
    return [None if b else int(v) for v, b in zip(values.tolist(), bad.tolist(), strict=True)]


def supervisions(reported: np.ndarray, dep: Deployment, hand: Handling,
                 calls: dict[int, list[Call]], now: np.datetime64
                 ) -> tuple[np.ndarray, dict[int, set[int]]]:
    """How many supervision acts each matter received, and which of its calls were supervised.

    The history of each matter is laid out as the seed replays it
    (:func:`gridgis.dispatch.seed.seed_open_incidents`) and swept by
    :func:`supervise`.
    """
    n = len(reported)
    m = "datetime64[m]"
    rep, esc, d = (_ints(a.astype(m)) for a in (reported, dep.escalated, dep.dispatched))
    respond, progress, resolve = (_ints(a.astype("timedelta64[m]"))
                                  for a in (dep.respond, dep.progress, dep.resolve))
    start = _ints(dep.start.astype(m))
    first, shelved, res, ver, closed = (_ints(a.astype(m)) for a in (
        hand.progress_at, hand.shelved_at, hand.resolved, hand.verified, hand.closed))
    reports = hand.progress_reports.tolist()
    end = int(np.datetime64(now, "m").astype("int64"))
    counts = np.zeros(n, dtype=int)
    noticed: dict[int, set[int]] = {}
    day = 24 * 60
    for i in range(n):
        if dep.rejected[i]:
            continue
        ev: list[tuple[int, int, int, object]] = [(rep[i], 0, STAGE, rep[i] + respond[i])]
        if esc[i] is not None:
            ev.append((esc[i], 2, STAGE, esc[i] + respond[i]))
        if d[i] is not None:
            ev.append((d[i], 3, STAGE, max(d[i], start[i] + progress[i])))
        row = calls.get(i, ())
        due = []
        for k, call in enumerate(row):
            due.append(int(call.due.astype(m).astype("int64")))
            if not np.isnat(call.reported_in):
                ev.append((int(call.reported_in.astype(m).astype("int64")), 6, REPORT_IN, k))
        if row:
            ev.append((int(row[0].called.astype(m).astype("int64")), 5, WHISTLE,
                       list(range(len(row)))))
        if first[i] is not None:
            resolve_by = start[i] + resolve[i]
            for k in range(reports[i]):
                t = first[i] + k * progress[i]
                ev.append((t, 7, STAGE, max(resolve_by, t)))
        if shelved[i] is not None:
            ev.append((shelved[i], 8, STAGE, shelved[i] + 30 * day))
        for r, v, c, _ in hand.rounds[i]:
            r, v, c = (int(x.astype(m).astype("int64")) for x in (r, v, c))
            ev += [(r, 9, STAGE, r + day), (v, 10, STAGE, v + 3 * day),
                   (c, 11, STAGE, c + resolve[i])]
        if res[i] is not None:
            ev.append((res[i], 9, STAGE, res[i] + day))
        if ver[i] is not None:
            ev.append((ver[i], 10, STAGE, ver[i] + 3 * day))
        if closed[i] is not None:
            ev.append((closed[i], 11, CLOSE, None))
        ev.sort(key=lambda e: (e[0], e[1]))
        counts[i], seen = supervise(ev, due, end)
        if row:
            noticed[i] = seen
    return counts, noticed
