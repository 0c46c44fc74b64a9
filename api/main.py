"""Build the FastAPI application from settings: wiring only, no rules here."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet, leaflet_markercluster

import gridgis
from api.auth import TokenIssuer
from api.errors import install_error_docs, install_error_handlers
from api.middleware import BodyLimit, LargerBody
from api.ratelimit import RateLimits
from api.routes import (
    attachments,
    auth,
    baseinfo,
    docs,
    emergencies,
    events,
    features,
    health,
    incidents,
    mediation,
    open311,
    patrols,
    sensors,
    statistics,
)
from api.routes.clock import create_router as clock_router
from api.routes.export import create_router as export_router
from api.routes.statistics_charts import create_router as statistics_charts_router
from api.routes.tiles import create_router as tiles_router
from api.routes.tiles import open_basemap, page_policy
from api.security import CONTENT_SECURITY_POLICY, install_security
from api.settings import Settings
from gridgis.baseinfo.register import BaseInfoStore, locator_of
from gridgis.dispatch import Dispatcher, DispatchSettings, WorkingCalendar, china_now
from gridgis.index.cache import cached_index
from gridgis.layers import Layers, read_layers
from gridgis.patrols.service import PatrolService
from gridgis.sensors import SensorService, SensorSettings
from gridgis.store import IncidentStore, SQLiteStore, open_store, store_path_for

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"


def _clock(fixed: dt.datetime | None, since: dt.datetime | None = None) -> Any:
    if fixed is None:
        return china_now
    start = china_now() if since is None else since.replace(tzinfo=None)
    offset = fixed.replace(tzinfo=None) - start
    return lambda: china_now() + offset  # a clock that runs, started at the given time


def app_from_environment() -> FastAPI:
    """The service configured by ``GRIDGIS_*`` variables alone (what each worker runs).

    ``gridgis serve --workers N`` starts N processes on this factory: each reads
    the district, maps the grid index file that the command wrote once, and
    opens the same store.
    """
    return create_app(Settings())


def create_app(settings: Settings | None = None, *, layers: Layers | None = None,
               store: IncidentStore | None = None, clock: Any = None) -> FastAPI:
    """Create the service.

    Parameters
    ----------
    settings : Settings, optional
        Default: read from ``GRIDGIS_*`` environment variables.
    layers : Layers, optional
        The district; default read from ``settings.layers`` or the built-in
        sample district.
    store : IncidentStore, optional
        Default: ``settings.store`` (a SQLite file or a ``postgresql://…`` URL), else
        SQLite beside the layers file (in memory for a generated sample).
    clock : callable, optional
        "now" for the service (tests and replays).
    """
    settings = settings or Settings()
    index = None
    if layers is None:
        if settings.layers is not None:
            layers = read_layers(settings.layers)
            # the grid index comes from its cache beside the file while the file is unchanged
            index = cached_index(settings.layers, layers)
        else:
            from gridgis.sample import sample_district

            layers = sample_district()
    if store is None:
        if settings.store:  # a SQLite file, or postgresql://… (PostGIS)
            store = open_store(settings.store, layers=settings.layers)
        elif settings.layers is not None:
            store = SQLiteStore(store_path_for(settings.layers))
        else:
            store = SQLiteStore(":memory:")
    store.check(writable=True)  # a store the service cannot write ends start-up (StoreError)
    if settings.attachments_folder is not None:
        store.attachments = store.attachments.moved_to(settings.attachments_folder)
    dispatch_settings = DispatchSettings(
        yellow_share=settings.yellow_share, duplicate_radius_m=settings.duplicate_radius_m,
        nearest_k=settings.nearest_k, oldest_report_days=settings.oldest_report_days,
        verify_photo=settings.verify_photo,
        plans=None if settings.plans is None else str(settings.plans),
        plan_speed_kmh=settings.plan_speed_kmh, arrive_m=settings.arrive_m,
        calendar=WorkingCalendar() if settings.calendar == "working" else None)
    dispatcher = Dispatcher(layers, store, index=index, settings=dispatch_settings,
                            clock=clock or _clock(settings.clock, settings.clock_since))

    app = FastAPI(title=settings.title, version=gridgis.__version__,
                  description="Grid-based community governance: locate, dispatch, supervise.",
                  docs_url=None, redoc_url=None)  # /docs served offline below; no ReDoc
    app.state.dispatcher = dispatcher
    app.state.sensors = SensorService(dispatcher, settings=SensorSettings(
        fold_window=dt.timedelta(minutes=settings.sensor_fold_minutes)))
    app.state.patrols = PatrolService(layers.patrol_zones, store.patrols,
                                      clock=dispatcher.clock,
                                      network=getattr(dispatcher.finder, "network", None),
                                      grids=layers.grids)
    app.state.settings = settings
    app.state.basemap = open_basemap(settings)  # the offline basemap's tiles (BasemapError)
    engine = getattr(store, "engine", None)  # the registers of 一标三实 live in the SQL store
    app.state.baseinfo = None if engine is None else BaseInfoStore(
        engine, locate=locator_of(dispatcher.index), clock=dispatcher.clock)
    app.state.tokens = TokenIssuer(
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        minutes=settings.token_minutes)
    app.state.limits = RateLimits()
    install_error_handlers(app)
    install_error_docs(app)
    uploads = [LargerBody("POST", re.compile(path), "multipart/form-data",
                          attachments.upload_limit(settings))
               for path in (r"/incidents/[^/]+/attachments", r"/open311/v2/requests\.json")]
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=uploads)
    install_security(app, allowed_hosts=settings.allowed_hosts,
                     cors_origins=settings.cors_origins)
    app.include_router(auth.create_router(settings, app.state.limits))
    app.include_router(incidents.create_router(settings))
    app.include_router(emergencies.create_router(settings))
    app.include_router(attachments.create_router(settings))
    app.include_router(features.create_router(settings))
    app.include_router(open311.create_router(settings, app.state.limits))
    app.include_router(sensors.create_router(settings))
    app.include_router(patrols.create_router(settings))
    app.include_router(mediation.create_router(settings))
    app.include_router(statistics.create_router(settings))
    app.include_router(statistics_charts_router(settings))
    app.include_router(baseinfo.create_router(settings))
    app.include_router(events.create_router())
    app.include_router(health.create_router())
    app.include_router(clock_router())
    app.include_router(export_router())
    app.include_router(tiles_router(settings))
    app.include_router(docs.create_router(title=settings.title))

    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static/markercluster", StaticFiles(directory=leaflet_markercluster.BASE_DIR),
              name="markercluster")
    app.mount(docs.SWAGGER_UI_URL, StaticFiles(directory=docs.SWAGGER_UI), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", tags=["landing"], response_model=None, responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
    def landing(request: Request, f: str | None = None) -> dict[str, Any] | Response:
        """The dispatcher console for browsers; the OGC API landing page as JSON."""
        wants_html = "text/html" in request.headers.get("accept", "")
        if f == "html" or (wants_html and f != "json"):
            return FileResponse(STATIC / "console.html", media_type="text/html",
                                headers=page_policy(settings, CONTENT_SECURITY_POLICY))
        base = str(request.base_url).rstrip("/")
        return {
            "title": settings.title,
            "description": "Grid-based community governance (网格化管理) service",
            "links": [
                {"href": f"{base}/?f=json", "rel": "self", "type": "application/json"},
                {"href": f"{base}/?f=html", "rel": "alternate", "type": "text/html",
                 "title": "dispatcher console"},
                {"href": f"{base}/openapi.json", "rel": "service-desc",
                 "type": "application/vnd.oai.openapi+json;version=3.0"},
                {"href": f"{base}/docs", "rel": "service-doc", "type": "text/html"},
                {"href": f"{base}/conformance", "rel": "conformance",
                 "type": "application/json"},
                {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
                {"href": f"{base}/incidents", "rel": "incidents", "type": "application/json"},
                {"href": f"{base}/open311/v2/services.json", "rel": "open311",
                 "type": "application/json"},
            ],
        }

    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory: ``uvicorn --factory api.main:app_from_env``."""
    return create_app()
