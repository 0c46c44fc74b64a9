"""Patrol effort: how often each level of patrol zone is walked, in visits a week.

The patrol analyses (:mod:`gridgis.analysis.patrol`, :mod:`gridgis.analysis.workload`)
and the plan diff (:mod:`gridgis.planning.diff`) weigh zone areas by these visits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["DEFAULT_VISITS_PER_WEEK", "weekly_visits"]

DEFAULT_VISITS_PER_WEEK: dict[str, float] = {"high": 7.0, "medium": 2.0, "low": 1.0}
"""Default patrol effort per level: daily, twice a week, weekly."""


def weekly_visits(visits_per_week: Mapping[str, float] | None = None) -> dict[str, float]:
    """Patrol visits a week by level, the defaults filled in and every value checked.

    Parameters
    ----------
    visits_per_week : mapping of str to float, optional
        Visits a week for some levels (``high``, ``medium``, ``low`` or others);
        the levels left out keep :data:`DEFAULT_VISITS_PER_WEEK`.

    Returns
    -------
    dict of str to float
        Visits a week of every level.

    Raises
    ------
    ValueError
        If a value is not a finite number >= 0.

    Examples
    --------
    >>> weekly_visits({"low": 0.5})
    {'high': 7.0, 'medium': 2.0, 'low': 0.5}
    """
    visits = dict(DEFAULT_VISITS_PER_WEEK)
    visits.update(visits_per_week or {})
    for level, value in visits.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"visits_per_week[{level!r}] must be a number >= 0, got {value}")
    return visits
