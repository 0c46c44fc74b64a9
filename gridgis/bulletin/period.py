"""The period of a bulletin (通报期): whole days, a half-month by habit, and the one before.

Command centres report twice a month: the first half (1st–15th, 上半月)
and the second (16th–end, 下半月). A :class:`Period` is a range of whole
days, both ends included; its previous period is the half-month (or the
month) before when it is one, else the same number of days just before.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from gridgis.errors import InputError

__all__ = ["EARLIEST", "LATEST", "LONGEST_DAYS", "Period", "half_month", "parse_period"]

EARLIEST = dt.date(1970, 1, 1)
"""The first day a period may start on."""
LATEST = dt.date(2199, 12, 31)
"""The last day a period may end on (well inside the range pandas timestamps hold)."""
LONGEST_DAYS = 366
"""The longest period, in days: a bulletin covers at most a year."""


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end``, both included.

    Examples
    --------
    >>> p = Period(dt.date(2026, 10, 16), dt.date(2026, 10, 31))
    >>> p.label, p.previous().label
    ('2026年10月下半月', '2026年10月上半月')
    >>> p.start_at, p.end_at
    (Timestamp('2026-10-16 00:00:00'), Timestamp('2026-11-01 00:00:00'))
    """

    start: dt.date
    end: dt.date

    @property
    def start_at(self) -> pd.Timestamp:
        """The first moment of the period."""
        return pd.Timestamp(self.start)

    @property
    def end_at(self) -> pd.Timestamp:
        """The moment after the period: midnight after its last day."""
        return pd.Timestamp(self.end) + pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    @property
    def kind(self) -> str:
        """``first_half``, ``second_half``, ``month`` or ``days``."""
        same = (self.start.year, self.start.month) == (self.end.year, self.end.month)
        if same and self.start.day == 1 and self.end.day == 15:
            return "first_half"
        if same and self.start.day == 16 and self.end == _month_end(self.end):
            return "second_half"
        if same and self.start.day == 1 and self.end == _month_end(self.end):
            return "month"
        return "days"

    @property
    def label(self) -> str:
        """The period as a bulletin names it (2026年10月上半月, or the two dates)."""
        month = f"{self.start.year}年{self.start.month}月"
        return {"first_half": f"{month}上半月", "second_half": f"{month}下半月",
                "month": month}.get(self.kind, f"{self.start.isoformat()} 至 "
                                               f"{self.end.isoformat()}")

    def previous(self) -> Period:
        """The period before: the half-month or month before, or as many days just before."""
        if self.kind == "second_half":
            return Period(self.start.replace(day=1), self.start.replace(day=15))
        if self.kind in ("first_half", "month"):
            last = self.start - dt.timedelta(days=1)
            if self.kind == "month":
                return Period(last.replace(day=1), last)
            return Period(last.replace(day=16), last)
        return Period(self.start - dt.timedelta(days=self.days),
                      self.start - dt.timedelta(days=1))


def _date(value: str | dt.date, field: str, flag: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{flag} {value!r} 不是日期，请写作 YYYY-MM-DD / {flag} {value!r} is "
                         "not a date; write it as YYYY-MM-DD", field=field) from None


def parse_period(start: str | dt.date, end: str | dt.date, *, names: tuple[str, str] = (
        "--from", "--to"), fields: tuple[str, str] = ("from", "to")) -> Period:
    """A period from its first and last day (``YYYY-MM-DD``, both included).

    Parameters
    ----------
    start, end : str or date
        The first and the last day.
    names : tuple of str
        How the two are called in messages (the CLI's options by default).
    fields : tuple of str
        The ``field`` each error names (the API's query parameters).

    Raises
    ------
    InputError
        A day that is not a date, an end before the start, a period longer
        than :data:`LONGEST_DAYS` or outside :data:`EARLIEST`–:data:`LATEST`
        (Chinese first, naming the field).

    Examples
    --------
    >>> parse_period("2026-10-01", "2026-10-15").label
    '2026年10月上半月'
    >>> parse_period("2026-10-15", "2026-10-01")
    Traceback (most recent call last):
    ...
    gridgis.errors.InputError: 结束日期 2026-10-01 早于开始日期 2026-10-15 / --to ...
    """
    first = _date(start, fields[0], names[0])
    last = _date(end, fields[1], names[1])
    for day, field, flag in ((first, fields[0], names[0]), (last, fields[1], names[1])):
        if not EARLIEST <= day <= LATEST:
            raise InputError(f"{flag} {day} 超出可统计的范围 {EARLIEST} 至 {LATEST} / {flag} "
                             f"{day} lies outside {EARLIEST} to {LATEST}", field=field)
    if last < first:
        raise InputError(f"结束日期 {last} 早于开始日期 {first} / {names[1]} {last} is before "
                         f"{names[0]} {first}", field=fields[1])
    period = Period(first, last)
    if period.days > LONGEST_DAYS:
        raise InputError(f"统计期间 {period.days} 天，最长 {LONGEST_DAYS} 天 / the period covers "
                         f"{period.days} days; at most {LONGEST_DAYS}", field=fields[1])
    return period


def half_month(day: dt.date) -> Period:
    """The half-month a day falls in (1st–15th or 16th–end).

    Examples
    --------
    >>> half_month(dt.date(2026, 2, 20)).end
    datetime.date(2026, 2, 28)
    """
    if day.day <= 15:
        return Period(day.replace(day=1), day.replace(day=15))
    return Period(day.replace(day=16), _month_end(day))
