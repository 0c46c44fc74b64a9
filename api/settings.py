"""Service settings, read from ``GRIDGIS_*`` environment variables."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gridgis.errors import InputError
from gridgis.incidents.channels import source_of
from gridgis.incidents.names import Source

__all__ = ["DEFAULT_ALLOWED_HOSTS", "Channel", "Settings"]

Channel = Literal["app", "wechat", "hotline", "web", "sensor"]
"""Public intake channels, each with its own ``api_key`` (Open311 intake; the sensor gateway)."""

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1", "testserver")
"""Hosts the service answers for unless ``GRIDGIS_ALLOWED_HOSTS`` says otherwise."""
_HOST = re.compile(r"^(\*|(\*\.)?[A-Za-z0-9_.-]{1,253}|[0-9A-Fa-f:.]{2,45})$")
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9_.-]{1,253}(:[0-9]{1,5})?|"
                     r"https?://\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?)$")
_TILE_URL = re.compile(r"^https?://[A-Za-z0-9_.\-\[\]:{}]+(/[A-Za-z0-9_.~\-/{}%=&?,:]*)?$")
MAX_LIST = 100
"""At most this many allowed hosts or CORS origins."""


def _channel(name: str) -> Source:
    try:
        return source_of(name)
    except InputError as exc:
        raise ValueError(str(exc)) from None


class Settings(BaseSettings):
    """How the service runs; every number has bounds.

    ``layers`` is the district GeoPackage (default: the built-in sample
    district, generated at start). ``store`` is the incident database: a
    SQLite file, or a PostgreSQL database with PostGIS as
    ``GRIDGIS_STORE=postgresql://user:password@host/database`` (default: a
    SQLite file beside the layers, or in memory for the generated sample).
    ``clock`` sets "now" for demonstrations and replays of past data: the
    service's clock runs on from it, started at ``clock_since`` (a real time;
    default when the service starts), so that several workers share one clock.
    ``allowed_hosts`` are the names a request's ``Host`` header may carry
    (``*.example.org`` for subdomains, ``*`` for any; others answer 400);
    ``cors_origins`` the browser origins allowed to call the API from other
    sites (none by default: no ``Access-Control-Allow-Origin``). Both read a
    JSON list or a comma-separated list from the environment.
    ``items_limit_*`` bound ``limit`` of the OGC API items (``GRIDGIS_ITEMS_LIMIT_DEFAULT``,
    1,000, and ``GRIDGIS_ITEMS_LIMIT_MAX``, 10,000: a larger ``limit`` is served as the
    maximum, as OGC API Features asks), ``incidents_limit_*`` that of the incident
    listing (the default and the largest accepted).
    ``secret_key`` signs the sign-in tokens (default: a random key per process,
    so a restart signs everyone out); tokens last ``token_minutes`` (a shift).
    ``signin_per_minute`` and ``intake_per_minute`` limit each client's sign-in
    attempts and Open311 reports. ``open311_keys`` gives each public intake
    channel (app, wechat, hotline, web, sensor) its ``api_key``, as JSON:
    ``GRIDGIS_OPEN311_KEYS='{"12345": "…", "微信": "…"}'`` (a channel under any of
    its names); without keys, public intake is closed; the sensor gateway posts
    with the sensor key. ``channels`` lists the channels the service takes
    reports from (default all; ``GRIDGIS_CHANNELS=grid_worker,12345,微信``): a
    report through another is refused with 403 naming it.
    ``sensor_fold_minutes``: alarms of a device this soon after its last one
    fold into its open incident (see :class:`gridgis.sensors.SensorSettings`).
    ``oldest_report_days`` is how far back a report may be dated, and
    ``verify_photo`` whether an on-site verification needs a photo of the site;
    ``plans`` the district's emergency plan table (a CSV, default the shipped
    one), ``plan_speed_kmh`` the speed an emergency force's arrival is estimated
    at without road travel times and ``arrive_m`` how near the site an arrival
    with a position must lie (see :class:`gridgis.dispatch.DispatchSettings`).
    ``attachment_max_bytes`` and ``attachment_video_max_bytes`` bound uploaded
    photos and videos (only the upload routes admit bodies that large);
    ``attachment_far_m`` is how far from the report a photo's EXIF place may lie
    before it is flagged; ``attachments_folder`` keeps the files elsewhere than
    beside the store (default ``<store>.attachments/``).
    ``basemap`` is the offline basemap's tile file (``gridgis basemap``; an MBTiles file
    served at ``/tiles/{z}/{x}/{y}.mvt``); ``basemap_url`` an intranet raster tile URL
    (天地图 or a government map server: ``https://host/…/{z}/{x}/{y}.png``, ``{s}`` for one
    of ``basemap_subdomains``) drawn under it, in the coordinate system ``basemap_crs``
    (``wgs84``/``cgcs2000`` as 天地图, or ``gcj02``: the console shifts such tiles onto the
    WGS84 layers), credited as ``basemap_attribution``; see :mod:`api.routes.tiles`.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDGIS_", extra="ignore")

    layers: Path | None = None
    store: str | None = None
    clock: dt.datetime | None = None
    clock_since: dt.datetime | None = None
    calendar: Literal["calendar", "working"] = "calendar"
    yellow_share: float = Field(0.8, gt=0.0, lt=1.0)
    duplicate_radius_m: float = Field(150.0, ge=0.0, le=5000.0)
    nearest_k: int = Field(3, ge=1, le=20)
    oldest_report_days: int = Field(366 * 5, ge=1, le=36_600)
    verify_photo: bool = True
    plans: Path | None = None
    plan_speed_kmh: float = Field(30.0, gt=0.0, le=200.0)
    arrive_m: float = Field(300.0, gt=0.0, le=10_000.0)
    max_body_bytes: int = Field(64_000, ge=1_024, le=10_000_000)
    items_limit_default: int = Field(1_000, ge=1, le=100_000)
    items_limit_max: int = Field(10_000, ge=1, le=100_000)
    incidents_limit_default: int = Field(50, ge=1, le=100_000)
    incidents_limit_max: int = Field(1_000, ge=1, le=100_000)
    title: str = Field("gridgis", min_length=1, max_length=200)
    secret_key: SecretStr | None = Field(None, min_length=32)
    token_minutes: int = Field(480, ge=5, le=24 * 60)
    signin_per_minute: int = Field(10, ge=1, le=10_000)
    intake_per_minute: int = Field(60, ge=1, le=100_000)
    open311_keys: dict[Channel, SecretStr] = Field(default_factory=dict)
    channels: Annotated[list[Source], NoDecode] = Field(
        default_factory=lambda: list(Source), min_length=1, max_length=len(Source))
    sensor_fold_minutes: int = Field(30, ge=1, le=24 * 60)
    attachment_max_bytes: int = Field(20_000_000, ge=10_000, le=200_000_000)
    attachment_video_max_bytes: int = Field(20_000_000, ge=10_000, le=200_000_000)
    attachment_far_m: float = Field(200.0, ge=1.0, le=100_000.0)
    attachments_folder: Path | None = None
    basemap: Path | None = None
    basemap_url: str | None = Field(None, min_length=12, max_length=500)
    basemap_crs: Literal["wgs84", "cgcs2000", "gcj02"] = "wgs84"
    basemap_subdomains: str = Field("", max_length=20, pattern=r"^[A-Za-z0-9]*$")
    basemap_attribution: str = Field("", max_length=200)
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS), min_length=1, max_length=MAX_LIST)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                         max_length=MAX_LIST)

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """A JSON list or ``a,b,c`` from the environment, as a list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [v.strip() for v in text.split(",") if v.strip()]
        return value

    @field_validator("open311_keys", mode="before")
    @classmethod
    def _channel_keys(cls, value: Any) -> Any:
        """Keys named by any name of their channel ("12345" is the hotline's)."""
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for name, key in value.items():
            channel = _channel(name).value
            if channel in out:
                raise ValueError(f"渠道 {channel} 的 api_key 给了两次 / the api_key of {channel} "
                                 "is given twice")
            out[channel] = key
        return out

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_list(cls, value: Any) -> Any:
        """``a,b,c`` or a JSON list of channel names (any names), as sources."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [
                v.strip() for v in text.split(",") if v.strip()]
        if isinstance(value, list):
            return list(dict.fromkeys(_channel(v) if isinstance(v, str) else v for v in value))
        return value

    @field_validator("basemap_url")
    @classmethod
    def _tile_url(cls, value: str | None) -> str | None:
        if value is None or (_TILE_URL.match(value) and all(
                p in value for p in ("{z}", "{x}", "{y}"))):
            return value
        raise ValueError("底图地址应为 http(s)://主机/…{z}/{x}/{y}… 的瓦片地址 / basemap_url "
                         "must be an http(s) tile URL with {z}, {x} and {y}")

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        bad = [h for h in value if not _HOST.match(h)]
        if bad:
            raise ValueError(f"主机名无效 / not host names: {', '.join(map(repr, bad))} "
                             "(a name, an IP address, *.domain or *)")
        return [h.lower() for h in value]

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        bad = [o for o in value if not _ORIGIN.match(o)]
        if bad:
            raise ValueError(f"来源无效 / not origins: {', '.join(map(repr, bad))} "
                             "(scheme://host[:port] without a path, or *)")
        return value

    @model_validator(mode="after")
    def _defaults_within_limits(self) -> Settings:
        for kind in ("items", "incidents"):
            default, maximum = (getattr(self, f"{kind}_limit_{k}") for k in ("default", "max"))
            if default > maximum:
                raise ValueError(
                    f"每页默认条数 {default} 超出上限 {maximum} / {kind}_limit_default "
                    f"({default}) exceeds {kind}_limit_max ({maximum})")
        for channel, key in self.open311_keys.items():
            if len(key.get_secret_value()) < 16:
                raise ValueError(f"渠道 {channel} 的 api_key 太短 / the api_key of {channel} "
                                 "needs 16 characters or more")
        return self
