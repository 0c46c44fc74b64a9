"""周趋势: the headline rates week by week (closure, on time, satisfaction, report-in).

Each week's matters are those reported in it (Monday to Sunday), measured
as of the week's end or ``now``, whichever comes first, with the rules of
:func:`gridgis.analysis.seed_figures.seed_figures`: a week's closure rate
is that of the matters reported in it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridgis.analysis.seed_figures import seed_figures

__all__ = ["TREND_RATES", "week_start", "weekly_rates"]

TREND_RATES: dict[str, tuple[str, str]] = {
    "closure_rate": ("办结率", "closure rate"),
    "resolve_on_time_rate": ("按时办结率", "resolved on time"),
    "satisfied_rate": ("群众满意率", "satisfied"),
    "report_in_rate": ("按时报到率", "reported in on time"),
}
"""The rates followed week by week: Chinese and English names."""


def week_start(moment: Any) -> pd.Timestamp:
    """The Monday 00:00 of the week ``moment`` falls in.

    Examples
    --------
    >>> str(week_start("2026-12-02 15:00"))
    '2026-11-30 00:00:00'
    """
    t = pd.Timestamp(moment).normalize()
    return t - pd.Timedelta(days=t.weekday())


def weekly_rates(frame: pd.DataFrame, *, now: Any, weeks: int = 8) -> pd.DataFrame:
    """The rates of :data:`TREND_RATES` and the count of matters for the last ``weeks`` weeks.

    Parameters
    ----------
    frame : pandas.DataFrame
        An incident frame with ``reported_at`` (a store's
        :func:`~gridgis.store.frame.incident_frame` or an archive's layer).
    now : timestamp
        The moment the figures are taken at; its week is the last one.
    weeks : int, default 8
        How many weeks, the last one included.

    Returns
    -------
    pandas.DataFrame
        Indexed by each week's Monday (oldest first): ``matters`` and the
        rates (NaN where a week has nothing to measure).

    Examples
    --------
    >>> import gridgis
    >>> inc = gridgis.sample_district(scale=0.05).incidents
    >>> t = weekly_rates(inc, now=inc["reported_at"].max(), weeks=4)
    >>> len(t), list(t.columns)[:2]
    (4, ['matters', 'closure_rate'])
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    moment = pd.Timestamp(now)
    last = week_start(moment)
    starts = [last - pd.Timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    reported = pd.to_datetime(frame["reported_at"])
    rows = []
    for start in starts:
        end = start + pd.Timedelta(weeks=1)
        week = frame[(reported >= start) & (reported < end)]
        row = {"matters": float(len(week))}
        if len(week):
            figures = seed_figures(week, now=min(end, moment))
            row |= {k: float(figures[k]) for k in TREND_RATES}
        else:
            row |= dict.fromkeys(TREND_RATES, np.nan)
        rows.append(row)
    return pd.DataFrame(rows, index=pd.DatetimeIndex(starts, name="week"),
                        columns=["matters", *TREND_RATES])
