"""The OGC API Features routes as they were before issue 19 (commit 00dc2a3), kept as the peer.

benchmarks/bench_features.py serves the district with these routes in place of
the current ones to measure the way items were served before: every page
re-filters the whole layer (jurisdiction, then bbox through the frame's spatial
index) and writes its features row by row through json.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.auth import ANONYMOUS_TOO, Person
from api.deps import BBox, Offset, get_dispatcher, limit_query
from api.errors import problem_responses
from api.paging import page_links
from api.settings import Settings
from gridgis.dispatch import Dispatcher
from gridgis.errors import MissingLayerError, SignInError
from gridgis.people.access import scope_of
from gridgis.people.staff import StaffMember
from gridgis.schemas import SCHEMAS

__all__ = ["GeoJSONResponse", "create_router"]

Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]
GEOJSON = "application/geo+json"
SIGNED_IN_ONLY = frozenset({"incidents", "sensors"})
"""Collections read only when signed in, each person their jurisdiction's features.

The incident archive names disputes, hazards and complaints at a house's
door: rounding the points would still show which building, and aggregates
are what analysts make in their notebooks. So the archive is not public;
nor is the registry of IoT devices (smoke and gas detectors inside homes).
"""


class GeoJSONResponse(JSONResponse):
    """A GeoJSON answer (RFC 7946): the media type the OpenAPI document names too."""

    media_type = GEOJSON


STAFF_NAMES = ("worker_names",)
"""Columns naming grid workers, left out for anonymous readers."""
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


def _collection(request: Request, name: str, frame: Any) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    out: dict[str, Any] = {
        "id": name, "title": SCHEMAS[name].title, "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]}
    if len(frame):  # a reader whose jurisdiction holds none of it sees no extent
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
        out["extent"] = {"spatial": {"bbox": [[minx, miny, maxx, maxy]],
                                     "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    return out | {
        "links": [
            {"href": f"{base}/collections/{name}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{name}/items", "rel": "items", "type": GEOJSON},
        ],
    }


def conformance() -> dict[str, list[str]]:
    """The OGC API conformance classes this service implements."""
    return {"conformsTo": CONFORMANCE}


def collections(request: Request, person: Person, dispatcher: Dispatch) -> dict[str, Any]:
    """Every layer of the district this reader may see (the archive for signed-in staff)."""
    base = str(request.base_url).rstrip("/")
    names = [n for n in dispatcher.layers.names() if person is not None
             or n not in SIGNED_IN_ONLY]
    return {
        "collections": [_collection(request, n, _layer(dispatcher, n, person))
                        for n in names],
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
    }


def collection(request: Request, person: Person, dispatcher: Dispatch,
               collection_id: str) -> dict[str, Any]:
    """One layer's description (the incident archive's only for signed-in staff)."""
    return _collection(request, collection_id, _layer(dispatcher, collection_id, person))


def _layer(dispatcher: Dispatcher, name: str, person: StaffMember | None = None) -> Any:
    """The features of a layer this reader may see."""
    if name not in SCHEMAS:
        raise MissingLayerError(f"no collection {name!r}; collections are "
                                f"{', '.join(dispatcher.layers.names())}", layer=name)
    frame = dispatcher.layers[name]
    if name in SIGNED_IN_ONLY:
        if person is None:
            raise SignInError(f"图层 {name} 需登录后查看 / the collection {name} is for "
                              "signed-in staff: sign in first (POST /auth/token)")
        scope = scope_of(person)
        grid = frame["grid_code"].fillna("").astype(str)
        keep = grid.str.startswith(scope.area_codes) if scope.area_codes else \
            pd.Series(False, index=frame.index)
        if "unit_id" in frame and scope.unit_ids:
            keep |= frame["unit_id"].isin(scope.unit_ids)
        if not keep.all():  # a county-wide reader keeps the layer (and its spatial index)
            frame = frame[keep.to_numpy()]
    if person is None:
        frame = frame.drop(columns=[c for c in STAFF_NAMES if c in frame.columns])
    return frame


def _props(frame: Any) -> list[dict[str, Any]]:
    cols = [c for c in frame.columns if c != frame.geometry.name]
    table = frame[cols].copy()
    for c in cols:
        if pd.api.types.is_datetime64_any_dtype(table[c]):
            table[c] = table[c].map(lambda t: None if pd.isna(t) else t.isoformat())
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    for r in records:
        for k, v in r.items():
            if isinstance(v, float) and math.isnan(v):
                r[k] = None
            elif isinstance(v, np.generic):
                r[k] = v.item()
    return records


def _features(frame: Any) -> list[dict[str, Any]]:
    geoms = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, 7))  # ~1 cm
    out = []
    for fid, props, geom in zip(frame.index, _props(frame), shapely.to_geojson(geoms),
                                strict=True):
        out.append({"type": "Feature", "id": str(fid), "geometry": json.loads(geom),
                    "properties": props})
    return out


def item(person: Person, dispatcher: Dispatch, collection_id: str,
         feature_id: str) -> GeoJSONResponse:
    """One feature by its key (grid code, unit id, …)."""
    frame = _layer(dispatcher, collection_id, person)
    if feature_id not in frame.index:
        raise MissingLayerError(f"collection {collection_id!r} has no feature {feature_id!r}",
                                layer=collection_id)
    return GeoJSONResponse(_features(frame.loc[[feature_id]])[0])


def _items(request: Request, dispatcher: Dispatcher, collection_id: str,
           bbox: tuple[float, float, float, float] | None, limit: int, offset: int,
           person: StaffMember | None) -> GeoJSONResponse:
    frame = _layer(dispatcher, collection_id, person)
    if bbox is not None:
        hit = frame.sindex.query(shapely.box(*bbox), predicate="intersects")
        frame = frame.iloc[np.sort(hit)]
    page = frame.iloc[offset: offset + limit]
    links = page_links(request, offset=offset, limit=limit, matched=len(frame),
                       media_type=GEOJSON)
    body = {"type": "FeatureCollection", "features": _features(page),
            "numberMatched": len(frame), "numberReturned": len(page), "links": links}
    return GeoJSONResponse(body)


def create_router(settings: Settings) -> APIRouter:
    """The OGC API Features routes, ``limit`` bounded by ``GRIDGIS_ITEMS_LIMIT_*``."""
    router = APIRouter(tags=["features"])
    router.get("/conformance")(conformance)
    router.get("/collections", openapi_extra=ANONYMOUS_TOO,
               responses=problem_responses(401, 503))(collections)
    router.get("/collections/{collection_id}", openapi_extra=ANONYMOUS_TOO,
               responses=problem_responses(401, 404, 503))(collection)
    # a default, not an annotation: annotations are strings read in the module's globals
    bounded_limit = Depends(limit_query(default=settings.items_limit_default,
                                        maximum=settings.items_limit_max))

    @router.get("/collections/{collection_id}/items", openapi_extra=ANONYMOUS_TOO,
                response_class=GeoJSONResponse,
                responses=problem_responses(401, 404, 422, 503))
    def items(request: Request, person: Person, dispatcher: Dispatch, collection_id: str,
              bbox: BBox, limit: int = bounded_limit, offset: Offset = 0
              ) -> GeoJSONResponse:
        """Features of a layer as GeoJSON (RFC 7946, lon/lat), paged with ``next`` links.

        The incident archive only for signed-in staff, within their jurisdiction.
        """
        return _items(request, dispatcher, collection_id, bbox, limit, offset, person)

    router.get("/collections/{collection_id}/items/{feature_id}", openapi_extra=ANONYMOUS_TOO,
               response_class=GeoJSONResponse,
               responses=problem_responses(401, 404, 503))(item)
    return router
