"""Deadlines, working calendars and the supervision lights (green, yellow, red).

Time limits come from the category table, "1-3-0" for every matter: deploy
within a day, report progress within three, then follow the matter until it
is cleared — the category's resolve limit lights it but never drops it
(``DEPLOY_HOURS`` and ``PROGRESS_HOURS`` in :mod:`gridgis.categories`; a
category may set shorter limits, urgent ones do). They count calendar
time, or working time on a :class:`WorkingCalendar` (weekends and holidays
do not count; make-up working days do). Urgent
matters always count calendar time: emergencies do not wait for Monday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from gridgis.incidents.names import Light, Stage, State

__all__ = ["Deadlines", "WorkingCalendar", "deadlines_for", "light_of", "stage_of"]


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count towards a time limit.

    Parameters
    ----------
    weekend : tuple of int, default (5, 6)
        Weekdays that do not count (Monday is 0).
    holidays : iterable of date
        Public holidays that do not count.
    workdays : iterable of date
        Make-up working days (调休) that count although they fall on a weekend.

    Examples
    --------
    >>> cal = WorkingCalendar(holidays={dt.date(2026, 10, 1)})
    >>> cal.is_working(dt.date(2026, 10, 1)), cal.is_working(dt.date(2026, 9, 30))
    (False, True)
    """

    weekend: tuple[int, ...] = (5, 6)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __init__(self, weekend: Iterable[int] = (5, 6), holidays: Iterable[dt.date] = (),
                 workdays: Iterable[dt.date] = ()) -> None:
        object.__setattr__(self, "weekend", tuple(sorted(set(weekend))))
        object.__setattr__(self, "holidays", frozenset(holidays))
        object.__setattr__(self, "workdays", frozenset(workdays))
        if any(not 0 <= d <= 6 for d in self.weekend) or len(self.weekend) > 6:
            raise ValueError("weekend days are numbers 0 (Monday) to 6, and not all seven")

    def is_working(self, day: dt.date) -> bool:
        """Whether ``day`` counts towards a working-time limit."""
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add(self, start: dt.datetime, limit: dt.timedelta) -> dt.datetime:
        """The moment when ``limit`` of working time has passed after ``start``.

        Time on days that do not count is skipped whole; a start on such a
        day begins counting at the next working midnight.
        """
        left = limit
        t = start
        while True:
            midnight = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time())
            if self.is_working(t.date()):
                if t + left <= midnight:
                    return t + left
                left -= midnight - t
            t = midnight

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time between ``start`` and ``end`` (zero if ``end`` is earlier)."""
        total = dt.timedelta()
        t = start
        while t < end:
            midnight = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time())
            stop = min(midnight, end)
            if self.is_working(t.date()):
                total += stop - t
            t = stop
        return total


@dataclass(frozen=True)
class Deadlines:
    """The three deadlines of an incident."""

    respond_by: dt.datetime
    progress_by: dt.datetime
    resolve_by: dt.datetime


def deadlines_for(reported_at: dt.datetime, category: pd.Series, *,
                  calendar: WorkingCalendar | None = None) -> Deadlines:
    """Deadlines of an incident reported at ``reported_at``.

    Parameters
    ----------
    reported_at : datetime
        Time of the report (naive China Standard Time).
    category : pandas.Series
        A row of :func:`gridgis.load_categories` (``respond``, ``progress``,
        ``resolve`` and ``priority``).
    calendar : WorkingCalendar, optional
        Count working time on this calendar; default calendar time. Urgent
        categories always count calendar time.

    Examples
    --------
    >>> from gridgis import load_categories
    >>> d = deadlines_for(dt.datetime(2026, 11, 6, 10), load_categories().loc["D01"],
    ...                   calendar=WorkingCalendar())
    >>> d.respond_by  # Friday 10:00 + one working day: the weekend does not count
    datetime.datetime(2026, 11, 9, 10, 0)
    """
    limits = [pd.Timedelta(category[k]).to_pytimedelta()
              for k in ("respond", "progress", "resolve")]
    if calendar is None or category["priority"] == "urgent":
        return Deadlines(*(reported_at + lim for lim in limits))
    return Deadlines(*(calendar.add(reported_at, lim) for lim in limits))


def light_of(now: dt.datetime, start: dt.datetime, deadline: dt.datetime | None, *,
             yellow_share: float = 0.8, calendar: WorkingCalendar | None = None) -> Light:
    """The light of a stage that began at ``start`` and is due at ``deadline``.

    Parameters
    ----------
    now, start, deadline : datetime
        ``deadline`` ``None`` means the stage has no time limit (no light).
    yellow_share : float, default 0.8
        Share of the time limit used after which the light turns yellow.
    calendar : WorkingCalendar, optional
        Measure the share used in working time.

    Returns
    -------
    Light
        Green, yellow, red (overdue) or none; a :class:`~gridgis.dispatch.Light`
        equals its name (``Light.RED == "red"``).

    Examples
    --------
    >>> t0 = dt.datetime(2026, 11, 2, 9)
    >>> [str(light_of(t0 + dt.timedelta(hours=h), t0, t0 + dt.timedelta(hours=10)))
    ...  for h in (1, 9, 11)]
    ['green', 'yellow', 'red']
    """
    if not 0 < yellow_share < 1:
        raise ValueError("yellow_share must lie strictly between 0 and 1")
    if deadline is None:
        return Light.NONE
    if now > deadline:
        return Light.RED
    if calendar is None:
        used, limit = now - start, deadline - start
    else:
        used, limit = calendar.elapsed(start, now), calendar.elapsed(start, deadline)
    if limit <= dt.timedelta() or used >= yellow_share * limit:
        return Light.YELLOW
    return Light.GREEN


_STAGE_OF_STATE = {State.REPORTED: Stage.DEPLOY, State.ACCEPTED: Stage.DEPLOY,
                   State.REOPENED: Stage.RESOLVE, State.RESOLVED: Stage.VERIFY,
                   State.VERIFIED: Stage.CALLBACK, State.SHELVED: Stage.REVIEW,
                   State.CLOSED: Stage.DONE, State.REJECTED: Stage.DONE}


def stage_of(status: str, progress_at: dt.datetime | None) -> Stage:
    """Which limit an incident's light watches: deploy, progress, resolve, verify or call back.

    A dispatched matter watches its progress deadline until the unit first
    reports progress, then its resolve deadline.

    Examples
    --------
    >>> str(stage_of("dispatched", None)), str(stage_of("in_progress", dt.datetime(2026, 1, 1)))
    ('progress', 'resolve')
    """
    state = State(status)
    if state in (State.DISPATCHED, State.IN_PROGRESS):
        return Stage.PROGRESS if progress_at is None else Stage.RESOLVE
    return _STAGE_OF_STATE[state]
