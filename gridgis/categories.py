"""The incident category table: category → platform → unit kinds → time limits.

The default table (DESIGN §2) ships as ``gridgis/data/categories.csv``; a
district replaces it with its own CSV of the same columns. The table is
checked on load, so a typo in a platform or a missing time limit is reported
with its row instead of surfacing later as a wrong deadline.
"""

from __future__ import annotations

import os

import pandas as pd

from gridgis._data_tables import read_data_table
from gridgis.errors import CategoryError

__all__ = [
    "DEPLOY_HOURS",
    "PLATFORMS",
    "PRIORITIES",
    "PROGRESS_HOURS",
    "UNIT_KINDS",
    "UNIT_KIND_NAMES",
    "UNIT_KIND_PLATFORM",
    "load_categories",
]

PLATFORMS: tuple[str, ...] = (
    "comprehensive_governance",  # 综治工作
    "market_regulation",  # 市场监管
    "law_enforcement",  # 综合执法
    "public_service",  # 便民服务
)
"""The four platforms (四个平台) incidents are routed to."""

PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal")
"""Priorities, most pressing first."""

UNIT_KINDS: tuple[str, ...] = (
    "police_station",
    "judicial_office",
    "mediation_committee",
    "labour_inspection",
    "health",
    "power_supply",
    "municipal_works",
    "fire_station",
    "sanitation",
    "enforcement_squad",
    "market_regulation",
    "community_service",
    "emergency",
    "special_police",
    "volunteer_team",
    "ambulance",
)
"""Kinds of responsible units known to the default table."""

UNIT_KIND_PLATFORM: dict[str, str] = {
    "police_station": "comprehensive_governance",
    "judicial_office": "comprehensive_governance",
    "mediation_committee": "comprehensive_governance",
    "labour_inspection": "comprehensive_governance",
    "emergency": "comprehensive_governance",
    "market_regulation": "market_regulation",
    "enforcement_squad": "law_enforcement",
    "fire_station": "law_enforcement",
    "municipal_works": "law_enforcement",
    "sanitation": "law_enforcement",
    "power_supply": "law_enforcement",
    "community_service": "public_service",
    "health": "public_service",
    "special_police": "comprehensive_governance",
    "volunteer_team": "public_service",
    "ambulance": "public_service",
}
"""The platform (四个平台) each kind of responsible unit works under."""

UNIT_KIND_NAMES: dict[str, str] = {
    "police_station": "派出所", "judicial_office": "司法所",
    "mediation_committee": "人民调解委员会", "labour_inspection": "劳动保障监察大队",
    "health": "卫生院", "power_supply": "供电所", "municipal_works": "市政管理所",
    "fire_station": "消防救援站", "sanitation": "环卫所",
    "enforcement_squad": "综合行政执法中队", "market_regulation": "市场监管所",
    "community_service": "便民服务中心", "emergency": "应急管理局",
    "special_police": "特警大队", "volunteer_team": "志愿者服务队", "ambulance": "120急救站",
}
"""The Chinese name of each kind of responsible unit (what the console and reports show)."""

DEPLOY_HOURS = 24.0
"""1-3-0, "1": every matter is studied and deployed (accepted and dispatched) within a day."""
PROGRESS_HOURS = 72.0
"""1-3-0, "3": the result or the progress is reported within three days, whatever the
priority; "0" has no time limit of its own: the matter is followed until cleared (销号清零)
and the category's resolve limit only lights it."""

_COLUMNS = ("code", "name", "name_zh", "platform", "unit_kinds", "priority",
            "respond_hours", "progress_hours", "resolve_hours")


def _bad(path: object, rows: pd.Series, what: str) -> CategoryError:
    codes = ", ".join(map(str, rows.index[rows.to_numpy()][:5]))
    return CategoryError(f"category table {path}: {what} (categories {codes})")


def load_categories(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and check a category table.

    Parameters
    ----------
    path : path-like, optional
        A CSV with the columns ``code, name, name_zh, platform, unit_kinds,
        priority, respond_hours, progress_hours, resolve_hours``
        (``unit_kinds`` separated by ``;``). Default: the shipped table.

    Returns
    -------
    pandas.DataFrame
        Indexed by category code; ``unit_kinds`` holds tuples of str and the
        time limits are ``pandas.Timedelta`` columns ``respond``,
        ``progress`` and ``resolve``.

    Raises
    ------
    CategoryError
        If a column is missing, a code repeats, a platform or priority is
        unknown, a category names no unit kind, or the time limits are not
        positive and increasing (respond ≤ progress ≤ resolve), or break
        "1-3-0" (respond above :data:`DEPLOY_HOURS`, progress above
        :data:`PROGRESS_HOURS`).

    Examples
    --------
    >>> table = load_categories()
    >>> table.loc["S01", "platform"], table.loc["S01", "unit_kinds"]
    ('law_enforcement', ('power_supply',))
    >>> str(table.loc["D01", "resolve"])
    '15 days 00:00:00'
    """
    try:
        raw, where = read_data_table(path, "categories.csv")
    except FileNotFoundError:
        raise CategoryError(f"category table {path}: no such file") from None
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise CategoryError(f"category table {where}: missing column(s) {', '.join(missing)}; "
                            f"expected {', '.join(_COLUMNS)}")
    table = raw[list(_COLUMNS)].apply(lambda s: s.str.strip())
    table = table.set_index("code", drop=False)
    table.index.name = None
    dup = pd.Series(table.index.duplicated(keep=False), index=table.index)
    if dup.any():
        raise _bad(where, dup, "a category code appears more than once")
    empty = table["code"] == ""
    if empty.any():
        raise CategoryError(f"category table {where}: a row has no category code")
    bad = ~table["platform"].isin(PLATFORMS)
    if bad.any():
        raise _bad(where, bad, f"platform must be one of {', '.join(PLATFORMS)}")
    bad = ~table["priority"].isin(PRIORITIES)
    if bad.any():
        raise _bad(where, bad, f"priority must be one of {', '.join(PRIORITIES)}")
    kinds = table["unit_kinds"].map(
        lambda s: tuple(k.strip() for k in s.split(";") if k.strip()))
    bad = kinds.map(len) == 0
    if bad.any():
        raise _bad(where, bad, "unit_kinds is empty; name at least one responsible unit kind")
    table["unit_kinds"] = kinds
    hours = table[["respond_hours", "progress_hours", "resolve_hours"]].apply(
        pd.to_numeric, errors="coerce")
    bad = hours.isna().any(axis=1) | (hours <= 0).any(axis=1)
    if bad.any():
        raise _bad(where, bad, "time limits must be positive numbers of hours")
    bad = (hours["respond_hours"] > hours["progress_hours"]) | (
        hours["progress_hours"] > hours["resolve_hours"])
    if bad.any():
        raise _bad(where, bad, "time limits must satisfy respond ≤ progress ≤ resolve")
    bad = hours["respond_hours"] > DEPLOY_HOURS
    if bad.any():
        raise _bad(where, bad, f"1-3-0：部署时限不得超过 {DEPLOY_HOURS:g} 小时 / 1-3-0: every "
                   f"matter is deployed within a day; respond_hours must be ≤ {DEPLOY_HOURS:g}")
    bad = hours["progress_hours"] > PROGRESS_HOURS
    if bad.any():
        raise _bad(where, bad, f"1-3-0：进展反馈时限不得超过 {PROGRESS_HOURS:g} 小时 / 1-3-0: "
                   f"progress is reported within three days; progress_hours must be ≤ "
                   f"{PROGRESS_HOURS:g}")
    for stage in ("respond", "progress", "resolve"):
        table[stage] = pd.to_timedelta(hours[f"{stage}_hours"], unit="h")
    return table.drop(columns=["respond_hours", "progress_hours", "resolve_hours"])
