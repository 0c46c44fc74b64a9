"""An Open311 GeoReport v2 facade (JSON), so existing 311 clients can report and read.

Categories are the services; ``lat``/``long`` are WGS84 as the standard says.
Errors follow GeoReport v2: a list of ``{code, description}`` with 400/404.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.deps import comma_list, get_dispatcher
from api.models import to_cst_naive
from gridgis.dispatch import CLOSED_STATES, OPEN_STATES, Dispatcher, Source, State
from gridgis.errors import GridGisError, IncidentNotFoundError, StoreBusyError

__all__ = ["router"]

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]
STATUS_NOTES: dict[State, str] = {
    State.REPORTED: "received", State.ACCEPTED: "accepted by the command centre",
    State.DISPATCHED: "assigned to the responsible unit", State.IN_PROGRESS: "being handled",
    State.RESOLVED: "handled, awaiting verification", State.REOPENED: "reopened",
    State.VERIFIED: "verified on site", State.SHELVED: "on the books (挂账)",
    State.CLOSED: "closed", State.REJECTED: "not accepted"}
OPEN311_STATUS = {"open": OPEN_STATES, "closed": CLOSED_STATES}
"""GeoReport v2 knows two statuses; each stands for a set of the loop's states."""


def _error(status: int, code: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": code, "description": description}], status_code=status)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat() + "+08:00"


def _request(item: dict[str, Any], dispatcher: Dispatcher) -> dict[str, Any]:
    name = dispatcher.categories.loc[item["category"], "name"] \
        if item["category"] in dispatcher.categories.index else item["category"]
    return {
        "service_request_id": item["incident_id"],
        "status": "closed" if item["status"] in CLOSED_STATES else "open",
        "status_notes": STATUS_NOTES.get(item["status"], item["status"]),
        "service_name": name, "service_code": item["category"],
        "description": item["description"],
        "agency_responsible": item.get("unit_id"),
        "service_notice": None,
        "requested_datetime": _iso(item["reported_at"]),
        "updated_datetime": _iso(item["updated_at"]),
        "expected_datetime": _iso(item["resolve_by"]),
        "address": " ".join(filter(None, (item.get("township_name"), item.get("community_name"),
                                          item.get("grid_name")))),
        "address_id": item.get("grid_code"), "zipcode": None,
        "lat": item["lat"], "long": item["lon"], "media_url": None,
    }


@router.get("/services.json")
def services(dispatcher: Dispatch) -> list[dict[str, Any]]:
    """The categories, as Open311 services."""
    return [
        {"service_code": code, "service_name": row["name"], "description": row["name_zh"],
         "metadata": False, "type": "realtime", "keywords": row["name_zh"],
         "group": row["platform"]}
        for code, row in dispatcher.categories.iterrows()
    ]


async def _raw_body(request: Request) -> bytes:
    """The request body, read on the event loop so that the route itself may block."""
    return await request.body()


@router.post("/requests.json")
def create_request(request: Request, dispatcher: Dispatch,
                   raw: Annotated[bytes, Depends(_raw_body)]) -> JSONResponse:
    """Create a service request (form-encoded as the standard says, or JSON)."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            data = json.loads(raw or b"{}")
            if not isinstance(data, dict):
                raise ValueError
        else:
            data = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), strict_parsing=False).items()}
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return _error(400, 400, "the request body is neither form data nor a JSON object")
    for field in ("service_code", "lat", "long"):
        if data.get(field) in (None, ""):
            return _error(400, 400, f"{field} is required")
    try:
        lat, lon = float(data["lat"]), float(data["long"])
    except (TypeError, ValueError, OverflowError):
        return _error(400, 400, "lat and long must be numbers (WGS84)")
    for field, value in (("lat", lat), ("long", lon)):
        if not math.isfinite(value):
            return _error(400, 400, f"{field} must be a finite number (WGS84), not {value}")
    description = str(data.get("description") or "").strip()
    if not description:
        return _error(400, 400, "description is required")
    if len(description) > 4000:
        return _error(400, 400, "description is longer than 4000 characters")
    who = data.get("email") or data.get("device_id") or data.get("account_id") or "anonymous"
    try:
        record, _ = dispatcher.report(lon=lon, lat=lat, crs="wgs84",
                                      category=str(data["service_code"]),
                                      description=description, source=Source.OPEN311,
                                      actor=f"open311:{who}"[:128])
    except StoreBusyError:
        raise  # 503 with Retry-After (api.errors), not the client's fault
    except GridGisError as exc:
        return _error(400, 400, str(exc))
    return JSONResponse([{"service_request_id": record["incident_id"], "service_notice":
                          STATUS_NOTES[State.REPORTED], "account_id": None}], status_code=201)


@router.get("/requests.json")
def list_requests(
    dispatcher: Dispatch,
    service_request_id: Annotated[str | None, Query()] = None,
    service_code: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    start_date: Annotated[dt.datetime | None, Query()] = None,
    end_date: Annotated[dt.datetime | None, Query()] = None,
) -> JSONResponse:
    """Service requests, newest first (at most 1,000, as the standard suggests)."""
    if service_request_id:
        out = []
        for rid in comma_list(service_request_id):
            try:
                out.append(_request(dispatcher.incident(rid, events=False), dispatcher))
            except IncidentNotFoundError:
                continue
        return JSONResponse(out)
    if status is not None and status not in OPEN311_STATUS:
        return _error(400, 400, "status is open or closed")
    states = () if status is None else tuple(sorted(OPEN311_STATUS[status]))
    window: dict[str, dt.datetime | None] = {}
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        try:
            window[field] = to_cst_naive(value) if value else None
        except ValueError as exc:
            return _error(400, 400, f"{field}: {exc}")
    page = dispatcher.incidents(
        category=comma_list(service_code), status=states, sort="-reported_at", limit=1000,
        reported_from=window["start_date"], reported_to=window["end_date"])
    return JSONResponse([_request(i, dispatcher) for i in page.items])


@router.get("/requests/{request_id}.json")
def read_request(dispatcher: Dispatch, request_id: str) -> JSONResponse:
    """One service request."""
    try:
        item = dispatcher.incident(request_id, events=False)
    except IncidentNotFoundError:
        return _error(404, 404, f"no service request {request_id!r}")
    return JSONResponse([_request(item, dispatcher)])
