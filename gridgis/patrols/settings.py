"""The rules of patrol records: what counts as a visit, what is flagged, what is refused."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from gridgis.visits import DEFAULT_VISITS_PER_WEEK, weekly_visits

__all__ = ["LEVEL_NAMES", "PatrolSettings"]

LEVEL_NAMES: dict[str, str] = {"high": "高频", "medium": "中频", "low": "低频"}
"""The Chinese name of each patrol level (高、中、低频率巡查区域)."""


@dataclass(frozen=True)
class PatrolSettings:
    """Thresholds of visit detection and track validation.

    Parameters
    ----------
    min_inside_m : float, default 100
        A track visits a zone when it runs inside it for at least this many
        metres (measured on the Gauss-Krüger plane) …
    min_inside_minutes : float, default 3
        … or stays inside it at least this long (a worker standing at a
        market counts). A track that grazes a corner does neither.
    rejoin_minutes : float, default 10
        Leaving a zone and coming back within this time continues the same visit.
    max_speed_kmh : float, default 120
        A step between two points faster than this is a GPS jump: flagged,
        kept in the record, left out of the length and of the visits.
    max_points : int, default 20000
        The most points one patrol may send (a day at one point a second is 86,400;
        a terminal sampling every 5 s fills a day with 17,280).
    checkins_count : bool, default True
        A check-in (签到: one point and a time) counts as a visit of the zone it lies in.
    visits_per_week : mapping of str to float
        The required visits a week per level (default daily / twice a week / weekly).

    Examples
    --------
    >>> PatrolSettings().required("medium")
    2.0
    """

    min_inside_m: float = 100.0
    min_inside_minutes: float = 3.0
    rejoin_minutes: float = 10.0
    max_speed_kmh: float = 120.0
    max_points: int = 20000
    checkins_count: bool = True
    visits_per_week: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_VISITS_PER_WEEK))

    def __post_init__(self) -> None:
        for name in ("min_inside_m", "min_inside_minutes", "rejoin_minutes", "max_speed_kmh"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if self.max_speed_kmh <= 0:
            raise ValueError("max_speed_kmh must be positive")
        if not 1 <= self.max_points <= 1_000_000:
            raise ValueError(f"max_points must lie between 1 and 1,000,000, got {self.max_points}")
        object.__setattr__(self, "visits_per_week", weekly_visits(self.visits_per_week))

    def required(self, level: str) -> float:
        """Visits a week a zone of ``level`` needs."""
        return float(self.visits_per_week[level])
