"""Service settings, read from ``GRIDGIS_*`` environment variables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """How the service runs; every number has bounds.

    ``layers`` is the district GeoPackage (default: the built-in sample
    district, generated at start). ``store`` is the incident database
    (default: beside the layers, or in memory for the generated sample).
    ``clock`` freezes "now" for demonstrations and replays of past data.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDGIS_", extra="ignore")

    layers: Path | None = None
    store: str | None = None
    clock: dt.datetime | None = None
    calendar: Literal["calendar", "working"] = "calendar"
    yellow_share: float = Field(0.8, gt=0.0, lt=1.0)
    duplicate_radius_m: float = Field(150.0, ge=0.0, le=5000.0)
    nearest_k: int = Field(3, ge=1, le=20)
    max_body_bytes: int = Field(64_000, ge=1_024, le=10_000_000)
    items_limit_default: int = Field(10, ge=1, le=10_000)
    items_limit_max: int = Field(10_000, ge=1, le=100_000)
    title: str = Field("gridgis", min_length=1, max_length=200)
