"""The rules of supervision that a district sets for itself (time shares, radii, limits)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gridgis.dispatch.timing import WorkingCalendar

__all__ = ["DispatchSettings"]


@dataclass(frozen=True)
class DispatchSettings:
    """Rules of supervision that a district sets for itself.

    Parameters
    ----------
    yellow_share : float
        Share of a time limit used after which the light turns yellow.
    verify_within, callback_within : timedelta
        Time for the grid worker to verify a resolved matter, and for the
        call back that closes it.
    shelved_review : timedelta
        A shelved matter (挂账) stays on the board with this review limit:
        "0" in 1-3-0 means no matter is dropped until it is cleared.
    on_site_m : float
        Verification is on site: the grid worker's position lies in the
        incident's grid or within this many metres of its point.
    satisfied_from : int
        The lowest call-back satisfaction (1–5) that closes a matter; lower
        reopens it.
    report_in_within : timedelta
        Default time a whistled department has to report in (报到) at the
        community; each whistle may set its own.
    whistle_max_units : int
        Most departments one whistle may call.
    verify_photo : bool
        A signed-in grid worker's on-site verification needs a verify-stage
        photo (核查照片) uploaded since the matter was resolved. Steps loaded
        from an archive (no signed-in person) record the past as it was.
    duplicate_radius_m, duplicate_window : float, timedelta
        An open incident of the same category this near and this recent
        makes a new report a suspected duplicate.
    nearest_k : int
        Responsible units suggested per incident.
    max_extension_hours : float
        Longest extension a unit may ask for.
    oldest_report_days : int
        How far back a report may be dated (``reported_at``), in days. The
        default, five years (366 × 5 days), admits an archive of a whole
        planning period (五年规划) loaded through :meth:`Dispatcher.report`
        while refusing a mistyped year (0202 for 2022) and keeping deadline
        arithmetic far from the first year of the calendar.
    plan_speed_kmh : float
        The speed an emergency plan's units are assumed to travel at where
        the finder gives no road travel time (no road layer): the estimated
        minutes are the straight-line metres at this speed (``eta_source``
        ``estimate``).
    arrive_m : float
        A unit's arrival (到场) with a position lies within this many metres
        of the incident.
    plans : path-like, optional
        The emergency plan table (:func:`gridgis.emergency_plans.load_emergency_plans`);
        default the shipped one.
    calendar : WorkingCalendar, optional
        Count time limits in working time on this calendar.
    """

    yellow_share: float = 0.8
    verify_within: dt.timedelta = dt.timedelta(hours=24)
    callback_within: dt.timedelta = dt.timedelta(hours=72)
    shelved_review: dt.timedelta = dt.timedelta(days=30)
    on_site_m: float = 100.0
    satisfied_from: int = 3
    report_in_within: dt.timedelta = dt.timedelta(hours=24)
    whistle_max_units: int = 10
    verify_photo: bool = True
    duplicate_radius_m: float = 150.0
    duplicate_window: dt.timedelta = dt.timedelta(hours=24)
    nearest_k: int = 3
    max_extension_hours: float = 24 * 30
    oldest_report_days: int = 366 * 5
    plan_speed_kmh: float = 30.0
    arrive_m: float = 300.0
    plans: str | None = None
    calendar: WorkingCalendar | None = field(default=None)
