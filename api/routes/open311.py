"""An Open311 GeoReport v2 facade (JSON), so existing 311 clients can report and read.

Categories are the services; ``lat``/``long`` are WGS84 as the standard says.
Errors follow GeoReport v2: a list of ``{code, description}`` with 400/403/404.

Public intake: each channel (the citizen app, WeChat, the 12345 hotline, the
website, the sensor gateway) posts with its own ``api_key`` (``GRIDGIS_OPEN311_KEYS``;
a channel not in ``GRIDGIS_CHANNELS`` is refused with 403 naming it), and
each client is limited to ``GRIDGIS_INTAKE_PER_MINUTE`` reports. A citizen's
name, phone and e-mail are stored apart from the incident (never its actor).
Reads: signed-in staff see their jurisdiction as it is; anyone else sees the
public view — phone numbers in descriptions masked, points rounded to 0.001°
(about 100 m), so a request can be followed without pointing at a door.

Media: a channel may post its report as ``multipart/form-data`` with the
photo as ``media`` (JPEG, PNG, HEIC/HEIF, MP4: the upload rules of
:mod:`gridgis.attachments`), and may give ``media_url``, a link recorded as
sent and never fetched (the service works offline). ``media_url`` answers
the first report photo's thumbnail: to staff, any report photo they may see;
to anyone else only a photo the channel sent with the report (citizens'
report photos are public in Open311 practice), else the link the channel
gave. Nothing inside an image is masked: faces or number plates in a
citizen's photo are shown as sent, in a thumbnail without EXIF (no GPS).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from api.auth import ANONYMOUS_TOO, Person, client_address
from api.deps import comma_list, get_dispatcher
from api.errors import open311_responses, problem_responses
from api.models import to_cst_naive
from api.ratelimit import RateLimits
from api.routes.attachments import limits_from
from api.settings import Settings
from gridgis.attachments.examine import examine
from gridgis.attachments.images import THUMBNAIL_MEDIA_TYPE
from gridgis.attachments.service import ATTACH, public_photo, upload
from gridgis.dispatch import CLOSED_STATES, OPEN_STATES, Dispatcher, Source, State
from gridgis.errors import (
    AccessDeniedError,
    AttachmentNotFoundError,
    GridGisError,
    IncidentNotFoundError,
    StoreBusyError,
)
from gridgis.incidents.channels import check_enabled
from gridgis.people.privacy import mask_phones_in_text
from gridgis.people.staff import StaffMember
from gridgis.store.base import Event, Reporter

__all__ = ["CHANNEL_SOURCE", "Open311RequestIn", "create_router"]

CHANNEL_SOURCE: dict[str, Source] = {"app": Source.APP, "wechat": Source.WECHAT,
                                     "hotline": Source.HOTLINE, "sensor": Source.SENSOR,
                                     "web": Source.WEB}
"""The source an Open311 channel's reports carry."""
MAX_URL = 2048
"""Characters of a ``media_url``."""
PUBLIC_DECIMALS = 3
"""Decimals of lon/lat shown to anonymous readers (0.001° is about 100 m)."""
Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]
STATUS_NOTES: dict[State, str] = {
    State.REPORTED: "received", State.ACCEPTED: "accepted by the command centre",
    State.DISPATCHED: "assigned to the responsible unit", State.IN_PROGRESS: "being handled",
    State.RESOLVED: "handled, awaiting verification", State.REOPENED: "reopened",
    State.VERIFIED: "verified on site", State.SHELVED: "on the books (挂账)",
    State.CLOSED: "closed", State.REJECTED: "not accepted"}
OPEN311_STATUS = {"open": OPEN_STATES, "closed": CLOSED_STATES}
"""GeoReport v2 knows two statuses; each stands for a set of the loop's states."""


class Open311RequestIn(BaseModel):
    """The fields of a new service request (documentation: the route reads the raw body).

    GeoReport v2 posts them form-encoded; JSON is accepted too.
    """

    api_key: str = Field(description="渠道的密钥 / the intake channel's key")
    service_code: str = Field(description="类别代码 / category code, e.g. D01")
    lat: float = Field(ge=-90, le=90, description="WGS84")
    long: float = Field(ge=-180, le=180, description="WGS84")
    description: str = Field(min_length=1, max_length=4000)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = Field(None, description="kept apart, shown masked")
    email: str | None = None
    media_url: str | None = Field(None, max_length=MAX_URL, description=(
        "照片链接，仅记录不下载 / a link to a photo, recorded as sent, never fetched"))


class Open311MediaIn(Open311RequestIn):
    """A service request with its photo (``multipart/form-data``)."""

    media: bytes | None = Field(None, json_schema_extra={"format": "binary"}, description=(
        "照片或视频：JPEG、PNG、HEIC/HEIF、MP4 / the photo or video (JPEG, PNG, HEIC/HEIF, MP4)"))


_REQUEST_BODY = {"requestBody": {"required": True, "content": {
    **{media: {"schema": Open311RequestIn.model_json_schema()}
       for media in ("application/x-www-form-urlencoded", "application/json")},
    "multipart/form-data": {"schema": Open311MediaIn.model_json_schema()}}}}
"""``openapi_extra`` documenting the body the intake route parses itself."""


def _error(status: int, code: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": code, "description": description}], status_code=status)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat() + "+08:00"


def _media_urls(dispatcher: Dispatcher, items: list[dict[str, Any]],
                person: StaffMember | None, base: str) -> dict[str, str]:
    """Each request's ``media_url``: its first report photo as this reader may see it."""
    ids = [i["incident_id"] for i in items]
    photos = dispatcher.store.attachments.first_photos(ids, stage="report",
                                                       channel_only=person is None)
    out = dispatcher.store.attachments.first_links(ids)
    for iid, row in photos.items():
        out[iid] = (f"{base}/attachments/{row['attachment_id']}/thumbnail" if person
                    else f"{base}/open311/v2/media/{row['attachment_id']}.jpg")
    return out


def _request(item: dict[str, Any], dispatcher: Dispatcher,
             person: StaffMember | None, media_url: str | None = None) -> dict[str, Any]:
    name = dispatcher.categories.loc[item["category"], "name"] \
        if item["category"] in dispatcher.categories.index else item["category"]
    out = {
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
        "lat": item["lat"], "long": item["lon"], "media_url": media_url,
    }
    if person is None:  # the public view
        out["description"] = mask_phones_in_text(out["description"])
        out["lat"] = round(out["lat"], PUBLIC_DECIMALS)
        out["long"] = round(out["long"], PUBLIC_DECIMALS)
    return out


def _base(request: Request) -> str:
    """The service's address as the client called it (for absolute ``media_url`` links)."""
    return str(request.base_url).rstrip("/")


def _form_or_json(raw: bytes, content_type: str) -> dict[str, Any] | None:
    """The fields of a form-encoded or JSON body, or None when it is neither."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(raw or b"{}")
            return data if isinstance(data, dict) else None
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return None


async def _raw_body(request: Request) -> bytes:
    """The request body, read on the event loop so that the route itself may block."""
    return await request.body()


BAD_FORM = "bad multipart"


async def _multipart(request: Request) -> dict[str, Any] | str | None:
    """The fields of a ``multipart/form-data`` report, the file ``media`` as (name, bytes).

    None for any other body; :data:`BAD_FORM` for a multipart body that cannot be read.
    """
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return None
    try:
        form = await request.form(max_files=1, max_fields=50)
    except (MultiPartException, HTTPException):
        return BAD_FORM
    try:
        fields: dict[str, Any] = {k: v for k, v in form.items()
                                  if isinstance(v, str) and k != "media"}
        media = form.get("media")
        if isinstance(media, UploadFile):
            fields["media"] = (media.filename, await media.read())
    finally:
        await form.close()
    return fields


def _media_url(value: Any) -> str | None:
    """A link as sent, when it is an http(s) URL of at most :data:`MAX_URL` characters."""
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > MAX_URL or not text.lower().startswith(("http://", "https://")) \
            or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"media_url must be an http(s) URL of at most {MAX_URL} characters")
    return text


def create_router(settings: Settings, limits: RateLimits) -> APIRouter:
    """The Open311 routes; intake keys and limits from the settings."""
    router = APIRouter(prefix="/open311/v2", tags=["open311"])
    throttle = Depends(limits.dependency("intake", settings.intake_per_minute))
    keys = {channel: key.get_secret_value().encode()
            for channel, key in settings.open311_keys.items()}
    limits = limits_from(settings)

    def _channel(api_key: str) -> str | None:
        """The channel whose key this is (compared in constant time), or None."""
        given = api_key.encode()
        found = None
        for channel, key in keys.items():
            if hmac.compare_digest(given, key):
                found = channel
        return found

    @router.get("/services.json")
    def services(dispatcher: Dispatch) -> list[dict[str, Any]]:
        """The categories, as Open311 services."""
        return [
            {"service_code": code, "service_name": row["name"], "description": row["name_zh"],
             "metadata": False, "type": "realtime", "keywords": row["name_zh"],
             "group": row["platform"]}
            for code, row in dispatcher.categories.iterrows()
        ]

    @router.post("/requests.json", dependencies=[throttle], status_code=201,
                 openapi_extra=_REQUEST_BODY,
                 responses={**open311_responses(400, 403), **problem_responses(413, 429, 503)})
    def create_request(request: Request, dispatcher: Dispatch,
                       raw: Annotated[bytes, Depends(_raw_body)],
                       form: Annotated[Any, Depends(_multipart)]) -> JSONResponse:
        """Create a service request with a channel's ``api_key``.

        Form-encoded as the standard says, or JSON; ``multipart/form-data``
        with the photo as ``media``. ``media_url`` is recorded, not fetched.
        """
        data = _form_or_json(raw, request.headers.get("content-type", "")) \
            if form is None else None if form == BAD_FORM else form
        if data is None:
            return _error(400, 400, "the request body is neither form data nor a JSON object")
        channel = _channel(str(data.get("api_key") or ""))
        if channel is None:
            return _error(403, 403, "api_key 缺失或无效 / api_key is missing or not valid: each "
                                    "intake channel posts with its own key")
        try:
            check_enabled(CHANNEL_SOURCE[channel], settings.channels)
        except AccessDeniedError as exc:
            return _error(403, 403, str(exc))
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
        try:
            media_url = _media_url(data.get("media_url"))
        except ValueError as exc:
            return _error(400, 400, str(exc))
        media = data.get("media") if isinstance(data.get("media"), tuple) else None
        if media is not None:
            try:  # checked before the report is made: a refused photo leaves no incident
                examine(media[1], limits=limits)
            except GridGisError as exc:
                return _error(400, 400, f"media: {exc}")
        last, first = (str(data.get(k) or "").strip() for k in ("last_name", "first_name"))
        name = f"{last}{first}" if last.isascii() is False else f"{first} {last}"  # 张三 / Li Lei
        reporter = Reporter(name=name.strip()[:64] or None,
                            phone=str(data.get("phone") or "").strip()[:32] or None,
                            email=str(data.get("email") or "").strip()[:254] or None,
                            channel=channel)
        try:
            record, _ = dispatcher.report(lon=lon, lat=lat, crs="wgs84",
                                          category=str(data["service_code"]),
                                          description=description,
                                          source=CHANNEL_SOURCE[channel],
                                          actor=f"open311:{channel}", reporter=reporter,
                                          client=client_address(request))
        except StoreBusyError:
            raise  # 503 with Retry-After (api.errors), not the client's fault
        except GridGisError as exc:
            return _error(400, 400, str(exc))
        iid = record["incident_id"]
        if media is not None:
            upload(dispatcher, iid, media[1], stage="report", channel=channel, limits=limits,
                   filename=media[0], client=client_address(request))
        if media_url is not None:
            dispatcher.store.attachments.add_link(iid, media_url, channel=channel, event=Event(
                at=dispatcher.clock(), actor=f"open311:{channel}", role="reporter",
                action=ATTACH, from_state=None, to_state=record["status"],
                data={"media_url": media_url}, client=client_address(request)))
        return JSONResponse([{"service_request_id": record["incident_id"], "service_notice":
                              STATUS_NOTES[State.REPORTED], "account_id": None}], status_code=201)


    @router.get("/requests.json", openapi_extra=ANONYMOUS_TOO,
                responses={**open311_responses(400), **problem_responses(401, 422, 503)})
    def list_requests(
        person: Person,
        request: Request,
        dispatcher: Dispatch,
        service_request_id: Annotated[str | None, Query()] = None,
        service_code: Annotated[str | None, Query()] = None,
        status: Annotated[str | None, Query()] = None,
        start_date: Annotated[dt.datetime | None, Query()] = None,
        end_date: Annotated[dt.datetime | None, Query()] = None,
    ) -> JSONResponse:
        """Service requests, newest first (at most 1,000, as the standard suggests).

        Signed-in staff see their jurisdiction; anyone else the public view.
        """
        if service_request_id:
            out = []
            for rid in comma_list(service_request_id)[:100]:
                try:
                    item = dispatcher.incident(rid, events=False, person=person)
                except (IncidentNotFoundError, AccessDeniedError):
                    continue
                out.append(item)
            media = _media_urls(dispatcher, out, person, _base(request))
            return JSONResponse([_request(i, dispatcher, person, media.get(i["incident_id"]))
                                 for i in out])
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
            reported_from=window["start_date"], reported_to=window["end_date"], person=person)
        media = _media_urls(dispatcher, page.items, person, _base(request))
        return JSONResponse([_request(i, dispatcher, person, media.get(i["incident_id"]))
                             for i in page.items])


    @router.get("/requests/{request_id}.json", openapi_extra=ANONYMOUS_TOO,
                responses={**open311_responses(403, 404), **problem_responses(401, 503)})
    def read_request(person: Person, request: Request, dispatcher: Dispatch,
                     request_id: str) -> JSONResponse:
        """One service request (the public view unless signed in)."""
        try:
            item = dispatcher.incident(request_id, events=False, person=person)
        except IncidentNotFoundError:
            return _error(404, 404, f"no service request {request_id!r}")
        except AccessDeniedError as exc:
            return _error(403, 403, str(exc))
        media = _media_urls(dispatcher, [item], person, _base(request))
        return JSONResponse([_request(item, dispatcher, person, media.get(request_id))])

    @router.get("/media/{attachment_id}.jpg", response_class=Response,
                responses={200: {"description": "the thumbnail of a photo a channel sent with "
                                                "its report (JPEG, no EXIF)",
                                 "content": {THUMBNAIL_MEDIA_TYPE: {"schema": {
                                     "type": "string", "format": "binary"}}}},
                           **open311_responses(404), **problem_responses(503)})
    def public_media(dispatcher: Dispatch, attachment_id: str) -> Response:
        """A report photo's thumbnail, public when a channel sent it with the report."""
        try:
            row = public_photo(dispatcher, attachment_id)
            data = dispatcher.store.attachments.thumbnail(row)
        except AttachmentNotFoundError:
            return _error(404, 404, f"no public photo {attachment_id!r}")
        return Response(data, media_type=THUMBNAIL_MEDIA_TYPE,
                        headers={"Cache-Control": "public, max-age=3600"})

    return router
