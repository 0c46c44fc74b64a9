"""The live incidents collection: the incident store as OGC API Features.

The same incidents, scope and fields as ``GET /incidents`` (the signed-in
person's jurisdiction, :func:`gridgis.people.scope_of`; no reporter's contact
details; anonymous readers are refused as there), read page by page from the
store: ``bbox`` on the incident's point, ``datetime`` on ``reported_at`` and
the queryables ``status``, ``light``, ``category``, ``grid_code``,
``community_code`` and ``township_code``; oldest report first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from api.models import Incident
from api.ogc_params import ItemsQuery
from gridgis.dispatch import Dispatcher
from gridgis.errors import FilterError, SignInError
from gridgis.incidents.names import Light, State
from gridgis.people.staff import StaffMember

__all__ = ["LIVE", "QUERYABLES", "TITLE", "live_feature", "live_page", "signed_in_reader"]

LIVE = "live_incidents"
"""The collection's id."""
TITLE = "事件（实时，来自事件库） / Incidents, live from the incident store"
_CODES = {"grid_code": r"^\d{15}$", "community_code": r"^\d{12}$", "township_code": r"^\d{9}$"}
QUERYABLES: dict[str, dict[str, Any]] = {
    "status": {"title": "状态 / state in the closed loop", "type": "string",
               "enum": [s.value for s in State]},
    "light": {"title": "督办灯 / supervision light of the current stage", "type": "string",
              "enum": [v.value for v in Light]},
    "category": {"title": "事件类别代码 / category code, e.g. D01", "type": "string"},
    **{name: {"title": f"{name} / {name.split('_')[0]} of the location", "type": "string",
              "pattern": pattern} for name, pattern in _CODES.items()},
    "geometry": {"title": "geometry (lon/lat, CRS84)", "x-ogc-role": "primary-geometry",
                 "format": "geometry-point"},
}
"""The JSON Schema of each queryable (``geometry`` is filtered by ``bbox`` only)."""
FILTERS = ("status", "light", "category", "grid_code", "community_code", "township_code")
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


def signed_in_reader(person: StaffMember | None) -> StaffMember:
    """The reader, who must be signed in (as for ``GET /incidents``)."""
    if person is None:
        raise SignInError(f"图层 {LIVE} 需登录后查看 / the collection {LIVE} is for signed-in "
                          "staff: sign in first (POST /auth/token)")
    return person


def _moment(value: np.datetime64 | None) -> dt.datetime | None:
    return None if value is None else value.astype("datetime64[us]").astype(dt.datetime)


def _filters(query: ItemsQuery) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in query.equals.items():
        allowed = QUERYABLES[name].get("enum")
        if allowed is not None and value not in allowed:
            raise FilterError(f"参数 {name} 无效：须为 {', '.join(allowed)} 之一 / {name} is "
                              f"one of {', '.join(allowed)}", field=name)
        out[name] = (value,) if name in ("status", "light", "category") else value
    if query.interval is not None:  # a closed interval: the end itself is in
        start, end = _moment(query.interval.start), _moment(query.interval.end)
        out["reported_from"] = start
        try:
            out["reported_to"] = None if end is None else end + _ONE_MICROSECOND
        except OverflowError:  # the calendar's last microsecond: nothing lies beyond
            out["reported_to"] = None
    return out


def live_feature(record: dict[str, Any]) -> dict[str, Any]:
    """One decorated incident as a GeoJSON feature (the fields of ``GET /incidents``)."""
    props = Incident(**record).model_dump(mode="json")
    return {"type": "Feature", "id": props["incident_id"],
            "geometry": {"type": "Point",
                         "coordinates": [round(props["lon"], 7), round(props["lat"], 7)]},
            "properties": props}


def live_page(dispatcher: Dispatcher, person: StaffMember | None, query: ItemsQuery
              ) -> tuple[list[dict[str, Any]], int]:
    """The features of one page and how many match in all.

    Raises
    ------
    SignInError
        For an anonymous reader.
    FilterError
        For a queryable's value outside its allowed values.
    """
    reader = signed_in_reader(person)
    filters = _filters(query)
    page = dispatcher.incidents(person=reader, bbox=query.bbox, sort="reported_at",
                                offset=query.offset, limit=query.limit, **filters)
    return [live_feature(i) for i in page.items], page.matched
