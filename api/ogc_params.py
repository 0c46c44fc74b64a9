"""The query parameters of OGC API Features items, read and checked in one place.

``limit`` (a value above the maximum is served as the maximum, as Part 1
says: "this SHALL NOT result in an error"), ``offset``, ``bbox`` (four
numbers, or six with heights, which are ignored), ``datetime`` (an RFC 3339
instant, or a closed or half-bounded interval ``start/end``, ``../end``,
``start/..``; naive China time for the layers' columns), ``f`` and, on each
collection, one parameter per queryable (Part 3, queryables as query
parameters). Any other parameter, a repeated one or a malformed value is a
:class:`~gridgis.errors.FilterError`, answered 400 with the reason in Chinese
and English (``/req/core/query-param-unknown``, ``/req/core/query-param-invalid``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from starlette.datastructures import QueryParams

from api.deps import MAX_OFFSET
from gridgis.errors import FilterError
from gridgis.feature_table import Interval

__all__ = ["STANDARD", "ItemsQuery", "parse_datetime", "parse_items_query"]

STANDARD = ("limit", "offset", "bbox", "datetime", "f")
"""The parameters every collection's items take (the queryables come on top)."""
FORMATS = ("json", "geojson")
CST = dt.timezone(dt.timedelta(hours=8), "CST")
"""China Standard Time, the layers' and the store's wall clock (UTC+8, no daylight saving)."""
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class ItemsQuery:
    """One items request: its page and its filters."""

    limit: int
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    interval: Interval | None = None
    equals: Mapping[str, str] = field(default_factory=dict)


def _bad(name: str, zh: str, en: str) -> FilterError:
    return FilterError(f"参数 {name} 无效：{zh} / {name}: {en}", field=name)


def _integer(name: str, text: str, *, low: int, high: int | None = None) -> int:
    digits = text.strip().removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise _bad(name, "须为整数", f"must be a whole number, not {text!r}")
    value = int(digits) if len(digits) <= 18 else 10**18  # beyond any bound here
    if value < low or (high is not None and value > high):
        top = f"至多 {high:,}" if high is not None else ""
        raise _bad(name, f"须不小于 {low}{top}", f"must be at least {low}"
                   + (f" and at most {high:,}" if high is not None else ""))
    return value


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise _bad("bbox", "须为逗号分隔的数字：最小经度,最小纬度,最大经度,最大纬度",
                   "four numbers: minlon,minlat,maxlon,maxlat") from None
    if len(values) == 6:  # with heights: minz and maxz are ignored (no heights here)
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _bad("bbox", "须为四个（或含高程六个）有限数字", "four (or six) finite numbers: "
                   "minlon,minlat,maxlon,maxlat")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise _bad("bbox", "经度须在 ±180、纬度须在 ±90 之内，且最小纬度不大于最大纬度",
                   "longitudes within ±180, latitudes within ±90, minlat ≤ maxlat")
    if minx > maxx:
        raise _bad("bbox", "不支持跨越 180° 经线的范围", "boxes across the antimeridian are "
                   "not supported: give minlon ≤ maxlon")
    return minx, miny, maxx, maxy


def _instant(text: str) -> dt.datetime:
    """An RFC 3339 date-time as an aware datetime (fractions beyond microseconds cut)."""
    m = _DATE_TIME.match(text)
    if not m:
        raise _bad("datetime", "时间须为 RFC 3339 格式，带时区，如 2026-05-01T00:00:00Z 或 "
                   "2026-05-01T08:00:00+08:00",
                   f"{text!r} is not an RFC 3339 date-time with an offset, e.g. "
                   "2026-05-01T00:00:00Z")
    year, month, day, hour, minute, second = (int(v) for v in m.groups()[:6])
    micro = int(((m.group(7) or "") + "000000")[:6])
    zone = m.group(8)
    offset = dt.timedelta(0) if zone in "Zz" else (
        (1 if zone[0] == "+" else -1) * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:])))
    try:
        return dt.datetime(year, month, day, hour, minute, min(second, 59), micro,
                           tzinfo=dt.timezone(offset))
    except ValueError as exc:
        raise _bad("datetime", f"日期不存在（{exc}）", f"{text!r} is not a real date ({exc})"
                   ) from None


def _cst(moment: dt.datetime) -> np.datetime64:
    try:
        naive = moment.astimezone(CST).replace(tzinfo=None)
    except OverflowError:
        raise _bad("datetime", "超出日历范围", "beyond the calendar (years 1 to 9999)") from None
    return np.datetime64(naive, "us")


def parse_datetime(text: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The start and end of a ``datetime`` parameter (aware; None for an open side).

    An instant gives the same start and end.

    Raises
    ------
    FilterError
        For anything but an RFC 3339 date-time or an interval of them.

    Examples
    --------
    >>> parse_datetime("../2026-05-01T00:00:00Z")[1].isoformat()
    '2026-05-01T00:00:00+00:00'
    """
    if "/" not in text:
        moment = _instant(text)
        return moment, moment
    if text.count("/") != 1:
        raise _bad("datetime", "区间只能有一个“/”", "an interval has one '/'")
    start_text, end_text = text.split("/")
    start = None if start_text in ("", "..") else _instant(start_text)
    end = None if end_text in ("", "..") else _instant(end_text)
    if start is None and end is None:
        raise _bad("datetime", "区间至少要有一端", "an interval needs a start or an end "
                   "(../.. is not a datetime)")
    if start is not None and end is not None and start > end:
        raise _bad("datetime", "起点晚于终点", "the start is after the end")
    return start, end


def _one(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise _bad(name, "只能给一次", "given more than once")
    return values[0] if values else None


def parse_items_query(params: QueryParams, *, queryables: Iterable[str], default_limit: int,
                      max_limit: int) -> ItemsQuery:
    """Read an items request's parameters.

    Parameters
    ----------
    params : starlette.datastructures.QueryParams
        The request's query.
    queryables : iterable of str
        The collection's queryables: each may be given once as ``name=value``.
    default_limit, max_limit : int
        The page size when ``limit`` is absent, and the largest served.

    Returns
    -------
    ItemsQuery

    Raises
    ------
    FilterError
        For an unknown parameter, one given twice, or a malformed value.
    """
    queryable = set(queryables)
    for name in params:
        if name not in STANDARD and name not in queryable:
            known = ", ".join([*STANDARD, *sorted(queryable)])
            raise FilterError(f"未知参数 {name}；可用的参数：{known} / unknown parameter "
                              f"{name!r}; this collection takes {known}", field=name)
    fmt = _one(params, "f")
    if fmt is not None and fmt not in FORMATS:
        raise _bad("f", "只提供 json（GeoJSON）", f"only {', '.join(FORMATS)} are served")
    limit_text = _one(params, "limit")
    limit = default_limit if limit_text is None else min(
        _integer("limit", limit_text, low=1), max_limit)
    offset_text = _one(params, "offset")
    offset = 0 if offset_text is None else _integer("offset", offset_text, low=0,
                                                     high=MAX_OFFSET)
    bbox_text = _one(params, "bbox")
    interval = None
    when = _one(params, "datetime")
    if when is not None:
        start, end = parse_datetime(when)
        interval = Interval(None if start is None else _cst(start),
                            None if end is None else _cst(end))
    equals: dict[str, Any] = {}
    for name in sorted(queryable & set(params)):
        equals[name] = _one(params, name)
    return ItemsQuery(limit=limit, offset=offset,
                      bbox=None if bbox_text is None else _bbox(bbox_text),
                      interval=interval, equals=equals)
