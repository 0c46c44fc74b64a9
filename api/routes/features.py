"""The district's layers, and the live incidents, as OGC API – Features collections.

GeoJSON in lon/lat (CRS84). Items are paged (``limit``: default and maximum
from ``GRIDGIS_ITEMS_LIMIT_DEFAULT`` / ``GRIDGIS_ITEMS_LIMIT_MAX``; a larger
``limit`` is served as the maximum) with ``next``/``prev`` links and filtered
by ``bbox``, ``datetime`` and each collection's queryables
(``/collections/{id}/queryables``); an unknown parameter or a malformed value
answers 400 naming it. A layer is indexed once (:mod:`gridgis.feature_table`)
and only the page is written (:mod:`api.geojson`).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.auth import ANONYMOUS_TOO, Person
from api.deps import MAX_OFFSET, get_dispatcher
from api.errors import problem_responses
from api.geojson import CST_SUFFIX, PageWriter, dumps
from api.live_incidents import (
    LIVE,
    QUERYABLES,
    TITLE,
    live_feature,
    live_page,
    signed_in_reader,
)
from api.ogc_params import ItemsQuery, parse_items_query
from api.paging import page_links
from api.queryables import QUERYABLES_REL, SCHEMA_JSON, layer_queryables, queryables_document
from api.settings import Settings
from gridgis.dispatch import Dispatcher
from gridgis.errors import (
    AccessDeniedError,
    IncidentNotFoundError,
    MissingLayerError,
    SignInError,
)
from gridgis.feature_table import FeatureTable, layer_table
from gridgis.people.access import Scope, scope_of
from gridgis.people.staff import StaffMember
from gridgis.schemas import SCHEMAS

__all__ = ["GeoJSONResponse", "create_router"]

Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]
GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
SIGNED_IN_ONLY = frozenset({"incidents", "sensors", LIVE})
"""Collections read only when signed in, each person their jurisdiction's features.

The incident archive names disputes, hazards and complaints at a house's
door: rounding the points would still show which building, and aggregates
are what analysts make in their notebooks. So the archive is not public;
nor is the registry of IoT devices (smoke and gas detectors inside homes),
nor the live incidents (as ``GET /incidents``).
"""
STAFF_NAMES = ("worker_names",)
"""Columns naming grid workers, left out for anonymous readers."""
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]


class GeoJSONResponse(Response):
    """A GeoJSON answer (RFC 7946), its body already written: the media type the API names."""

    media_type = GEOJSON


class SchemaResponse(Response):
    """A JSON Schema answer (the queryables)."""

    media_type = SCHEMA_JSON


class _Tables:
    """Each layer's :class:`FeatureTable` and page writers, made once per layer frame."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[str, tuple[Any, FeatureTable, dict[bool, PageWriter]]] = {}

    def get(self, name: str, frame: Any, *, public: bool) -> tuple[FeatureTable, PageWriter]:
        with self._lock:
            made = self._made.get(name)
            if made is None or made[0] is not frame:  # a new or replaced layer: index it
                made = self._made[name] = (frame, layer_table(name, frame), {})
            writers = made[2]
            if public not in writers:
                writers[public] = PageWriter(frame, hidden=STAFF_NAMES if public else ())
            return made[1], writers[public]


_MAKING = threading.Lock()


def _tables(request: Request) -> _Tables:
    """The application's tables (one set per application, made on its first request)."""
    state = request.app.state
    with _MAKING:
        tables = getattr(state, "feature_tables", None)
        if tables is None:
            tables = state.feature_tables = _Tables()
    return tables


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _names(dispatcher: Dispatcher, person: StaffMember | None) -> list[str]:
    names = [*dispatcher.layers.names(), LIVE]
    return [n for n in names if person is not None or n not in SIGNED_IN_ONLY]


def _check_layer(dispatcher: Dispatcher, name: str, person: StaffMember | None) -> Any:
    """The layer's frame, after checking it exists and this reader may see it."""
    if name != LIVE and (name not in SCHEMAS or name not in dispatcher.layers.names()):
        raise MissingLayerError(f"没有图层 {name} / no collection {name!r}; collections are "
                                f"{', '.join(_names(dispatcher, person))}", layer=name)
    if name in SIGNED_IN_ONLY and person is None:
        raise SignInError(f"图层 {name} 需登录后查看 / the collection {name} is for "
                          "signed-in staff: sign in first (POST /auth/token)")
    return None if name == LIVE else dispatcher.layers[name]


def _scope(name: str, person: StaffMember | None) -> Scope | None:
    """The jurisdiction that limits this reader's features of the layer (None: all)."""
    if name not in SIGNED_IN_ONLY or person is None:
        return None
    return scope_of(person)


def _collection(request: Request, dispatcher: Dispatcher, name: str,
                person: StaffMember | None) -> dict[str, Any]:
    base = _base(request)
    frame = _check_layer(dispatcher, name, person)
    out: dict[str, Any] = {"id": name, "title": TITLE if name == LIVE else SCHEMAS[name].title,
                           "itemType": "feature", "crs": [CRS84]}
    if frame is not None:
        table, _ = _tables(request).get(name, frame, public=person is None)
        scope = _scope(name, person)
        rows = None if scope is None else table.select(scope=scope)
        box = table.extent(rows)
        if box is not None:  # a reader whose jurisdiction holds none of it sees no extent
            out["extent"] = {"spatial": {"bbox": [list(box)], "crs": CRS84}}
            times = table.time_extent(rows)
            if times is not None:
                out["extent"]["temporal"] = {"interval": [[
                    t.isoformat() + CST_SUFFIX for t in times]],
                    "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return out | {
        "links": [
            {"href": f"{base}/collections/{name}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{name}/items", "rel": "items", "type": GEOJSON},
            {"href": f"{base}/collections/{name}/queryables", "rel": QUERYABLES_REL,
             "type": SCHEMA_JSON, "title": "可查询属性 / queryables"},
        ],
    }


def conformance() -> dict[str, list[str]]:
    """The OGC API conformance classes this service implements."""
    return {"conformsTo": CONFORMANCE}


def collections(request: Request, person: Person, dispatcher: Dispatch) -> dict[str, Any]:
    """Every collection this reader may see (the archive and live incidents for staff)."""
    return {
        "collections": [_collection(request, dispatcher, n, person)
                        for n in _names(dispatcher, person)],
        "links": [{"href": f"{_base(request)}/collections", "rel": "self",
                   "type": "application/json"}],
    }


def collection(request: Request, person: Person, dispatcher: Dispatch,
               collection_id: str) -> dict[str, Any]:
    """One collection's description, with links to its items and queryables."""
    return _collection(request, dispatcher, collection_id, person)


def _queryable_names(request: Request, dispatcher: Dispatcher, name: str,
                     person: StaffMember | None) -> tuple[str, ...]:
    frame = _check_layer(dispatcher, name, person)
    if frame is None:
        return tuple(q for q in QUERYABLES if q != "geometry")
    return _tables(request).get(name, frame, public=person is None)[0].queryables


def queryables(request: Request, person: Person, dispatcher: Dispatch,
               collection_id: str) -> SchemaResponse:
    """The properties of a collection's features that filter its items (``?name=value``)."""
    names = _queryable_names(request, dispatcher, collection_id, person)
    if collection_id == LIVE:
        title, props = TITLE, QUERYABLES
    else:
        title, props = SCHEMAS[collection_id].title, layer_queryables(collection_id, names)
    url = f"{_base(request)}/collections/{collection_id}/queryables"
    return SchemaResponse(dumps(queryables_document(url, title, props)))


def _layer_page(request: Request, dispatcher: Dispatcher, name: str,
                person: StaffMember | None, query: ItemsQuery
                ) -> tuple[list[dict[str, Any]], int]:
    frame = _check_layer(dispatcher, name, person)
    table, writer = _tables(request).get(name, frame, public=person is None)
    equals = {k: table.value_of(k, v) for k, v in query.equals.items()}
    rows = table.select(bbox=query.bbox, interval=query.interval, equals=equals,
                        scope=_scope(name, person))
    return writer.features(rows[query.offset: query.offset + query.limit]), len(rows)


def _items(request: Request, dispatcher: Dispatcher, name: str, person: StaffMember | None,
           settings: Settings) -> GeoJSONResponse:
    names = _queryable_names(request, dispatcher, name, person)
    query = parse_items_query(request.query_params, queryables=names,
                              default_limit=settings.items_limit_default,
                              max_limit=settings.items_limit_max)
    if name == LIVE:
        features, matched = live_page(dispatcher, person, query)
    else:
        features, matched = _layer_page(request, dispatcher, name, person, query)
    links = page_links(request, offset=query.offset, limit=query.limit, matched=matched,
                       media_type=GEOJSON)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    body = {"type": "FeatureCollection", "features": features, "numberMatched": matched,
            "numberReturned": len(features), "timeStamp": now, "links": links}
    queryables_link = f"<{_base(request)}/collections/{name}/queryables>; " \
                      f'rel="{QUERYABLES_REL}"; type="{SCHEMA_JSON}"'
    return GeoJSONResponse(dumps(body), headers={"Link": queryables_link})


def item(request: Request, person: Person, dispatcher: Dispatch, collection_id: str,
         feature_id: str) -> GeoJSONResponse:
    """One feature by its key (grid code, unit id, incident id…) within one's jurisdiction."""
    frame = _check_layer(dispatcher, collection_id, person)
    missing = MissingLayerError(f"图层 {collection_id} 中没有要素 {feature_id} / collection "
                                f"{collection_id!r} has no feature {feature_id!r}",
                                layer=collection_id)
    if frame is None:  # live: a matter outside one's jurisdiction is not disclosed
        try:
            record = dispatcher.incident(feature_id, events=False,
                                         person=signed_in_reader(person))
        except (IncidentNotFoundError, AccessDeniedError):
            raise missing from None
        return GeoJSONResponse(dumps(live_feature(record)))
    table, writer = _tables(request).get(collection_id, frame, public=person is None)
    at = int(frame.index.get_indexer(pd.Index([feature_id]))[0]) \
        if frame.index.is_unique else -1
    scope = _scope(collection_id, person)
    if at >= 0 and scope is not None:
        mine = table.select(scope=scope)
        place = int(np.searchsorted(mine, at))
        at = at if place < len(mine) and mine[place] == at else -1
    if at < 0:
        raise missing
    return GeoJSONResponse(dumps(writer.features([at])[0]))


def _items_parameters(settings: Settings) -> list[dict[str, Any]]:
    """The items' standard parameters as the OpenAPI document shows them (read by hand)."""
    limit = settings.items_limit_max
    return [
        {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
         "description": f"每页条数，超过 {limit:,} 按 {limit:,} / items per page; a larger value "
                        "is served as the maximum",
         "schema": {"type": "integer", "minimum": 1, "maximum": limit,
                    "default": settings.items_limit_default}},
        {"name": "offset", "in": "query", "required": False,
         "description": "跳过的条数 / items to skip (the next link carries it)",
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
        {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
         "description": "minlon,minlat,maxlon,maxlat (CRS84): features intersecting the box",
         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
        {"name": "datetime", "in": "query", "required": False, "style": "form",
         "explode": False,
         "description": "RFC 3339 时刻或区间（起/止，.. 表示开放）/ an instant or an interval "
                        "(start/end, ../end, start/..) on the collection's time (incidents: "
                        "reported_at)",
         "schema": {"type": "string"}, "examples": {"interval": {
             "value": "2026-05-01T00:00:00Z/2026-06-01T00:00:00Z"}}},
        {"name": "f", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["json", "geojson"]}},
    ]


def create_router(settings: Settings) -> APIRouter:
    """The OGC API Features routes, ``limit`` bounded by ``GRIDGIS_ITEMS_LIMIT_*``."""
    router = APIRouter(tags=["features"])
    router.get("/conformance")(conformance)
    router.get("/collections", openapi_extra=ANONYMOUS_TOO,
               responses=problem_responses(401, 503))(collections)
    router.get("/collections/{collection_id}", openapi_extra=ANONYMOUS_TOO,
               responses=problem_responses(401, 404, 503))(collection)
    router.get("/collections/{collection_id}/queryables", openapi_extra=ANONYMOUS_TOO,
               response_class=SchemaResponse,
               responses={200: {"content": {SCHEMA_JSON: {"schema": {"type": "object"}}},
                                "description": "JSON Schema of the queryables"},
                          **problem_responses(401, 404, 503)})(queryables)
    bad_query = problem_responses(400)
    bad_query[400]["description"] = ("查询参数未知或无效，field 指明哪个 / an unknown query "
                                      "parameter or a malformed value; field names it")
    extra = {**ANONYMOUS_TOO, "parameters": _items_parameters(settings)}

    @router.get("/collections/{collection_id}/items", openapi_extra=extra,
                response_class=GeoJSONResponse,
                responses={200: {"content": {GEOJSON: {"schema": {"type": "object"}}},
                                 "description": "GeoJSON FeatureCollection"},
                           **bad_query, **problem_responses(401, 404, 503)})
    def items(request: Request, person: Person, dispatcher: Dispatch, collection_id: str
              ) -> GeoJSONResponse:
        """Features of a collection as GeoJSON (RFC 7946, lon/lat), paged with ``next`` links.

        Parameters: ``limit``, ``offset``, ``bbox``, ``datetime`` and each
        queryable of the collection as ``name=value``; anything else is 400.
        The incident archive, the devices and the live incidents only for
        signed-in staff, within their jurisdiction.
        """
        return _items(request, dispatcher, collection_id, person, settings)

    router.get("/collections/{collection_id}/items/{feature_id}", openapi_extra=ANONYMOUS_TOO,
               response_class=GeoJSONResponse,
               responses={200: {"content": {GEOJSON: {"schema": {"type": "object"}}},
                                "description": "GeoJSON Feature"},
                          **problem_responses(401, 404, 503)})(item)
    return router

