"""The rules a district sets for its sensors: how alarms fold, when a device is silent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["SensorSettings"]


@dataclass(frozen=True)
class SensorSettings:
    """How alarms fold and when a device counts as silent.

    Parameters
    ----------
    fold_window : timedelta, default 30 minutes
        An alarm this soon after the device's last alarm, while the incident
        that alarm raised is open, folds into that incident (counted and
        logged) instead of raising another: no alarm storm.
    silent_after : float, default 2.0
        A device not heard from (heartbeat or reading) for this many heartbeat
        intervals is silent and gets a maintenance matter.
    maintenance_category : str, default "S05"
        The category of a silent device's maintenance matter (物联感知设备离线/故障).
    """

    fold_window: dt.timedelta = dt.timedelta(minutes=30)
    silent_after: float = 2.0
    maintenance_category: str = "S05"

    def __post_init__(self) -> None:
        if self.fold_window <= dt.timedelta(0):
            raise ValueError(f"fold_window is {self.fold_window}; give a positive time")
        if not 1.0 <= self.silent_after <= 100.0:
            raise ValueError(f"silent_after is {self.silent_after}; give 1 to 100 intervals")
