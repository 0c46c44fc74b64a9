"""Service settings, read from ``GRIDGIS_*`` environment variables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """How the service runs; every number has bounds.

    ``layers`` is the district GeoPackage (default: the built-in sample
    district, generated at start). ``store`` is the incident database
    (default: beside the layers, or in memory for the generated sample).
    ``clock`` freezes "now" for demonstrations and replays of past data.
    ``items_limit_*`` bound ``limit`` of the OGC API items, ``incidents_limit_*``
    that of the incident listing (the default and the largest accepted).
    ``oldest_report_days`` is how far back a report may be dated (see
    :class:`gridgis.dispatch.DispatchSettings`).
    """

    model_config = SettingsConfigDict(env_prefix="GRIDGIS_", extra="ignore")

    layers: Path | None = None
    store: str | None = None
    clock: dt.datetime | None = None
    calendar: Literal["calendar", "working"] = "calendar"
    yellow_share: float = Field(0.8, gt=0.0, lt=1.0)
    duplicate_radius_m: float = Field(150.0, ge=0.0, le=5000.0)
    nearest_k: int = Field(3, ge=1, le=20)
    oldest_report_days: int = Field(366 * 5, ge=1, le=36_600)
    max_body_bytes: int = Field(64_000, ge=1_024, le=10_000_000)
    items_limit_default: int = Field(10, ge=1, le=100_000)
    items_limit_max: int = Field(10_000, ge=1, le=100_000)
    incidents_limit_default: int = Field(50, ge=1, le=100_000)
    incidents_limit_max: int = Field(1_000, ge=1, le=100_000)
    title: str = Field("gridgis", min_length=1, max_length=200)

    @model_validator(mode="after")
    def _defaults_within_limits(self) -> Settings:
        for kind in ("items", "incidents"):
            default, maximum = (getattr(self, f"{kind}_limit_{k}") for k in ("default", "max"))
            if default > maximum:
                raise ValueError(
                    f"每页默认条数 {default} 超出上限 {maximum} / {kind}_limit_default "
                    f"({default}) exceeds {kind}_limit_max ({maximum})")
        return self
