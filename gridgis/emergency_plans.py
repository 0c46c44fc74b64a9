"""The emergency plan table (应急预案, "1-3-5"): which categories start a plan, who must come.

Emergencies follow "1-3-5" (DESIGN §1): one plan, three mechanisms, at least
five procedures. A plan names the incident categories that start it and, per
kind of responsible unit, how many units must come and within how many
minutes they must be on site (到场, default :data:`DEFAULT_ARRIVE_MINUTES`).
The default table ships as ``gridgis/data/emergency_plans.csv``, one row per
plan and unit kind (columns ``plan, name_zh, name, categories, unit_kind,
count, arrive_minutes``; ``categories`` separated by ``;``); a district
replaces it with its own CSV of the same columns. The table is checked on
load, so a typo is reported with its plan instead of a plan that never starts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from gridgis._data_tables import read_data_table
from gridgis.categories import UNIT_KIND_NAMES, UNIT_KINDS
from gridgis.errors import CategoryError

__all__ = ["DEFAULT_ARRIVE_MINUTES", "Plan", "PlanForce", "load_emergency_plans", "plan_for"]

DEFAULT_ARRIVE_MINUTES = 15.0
"""The arrival limit of a required kind when the table leaves it empty (the seed's 15 min)."""
_COLUMNS = ("plan", "name_zh", "name", "categories", "unit_kind", "count", "arrive_minutes")


@dataclass(frozen=True)
class PlanForce:
    """One kind of unit a plan requires: how many, and within how many minutes on site."""

    kind: str
    count: int
    arrive_minutes: float

    @property
    def kind_name(self) -> str:
        """The kind's Chinese name (派出所, 特警大队…), the kind itself when it has none."""
        return UNIT_KIND_NAMES.get(self.kind, self.kind)


@dataclass(frozen=True)
class Plan:
    """An emergency plan: its code, names, the categories that start it and its forces."""

    code: str
    name_zh: str
    name: str
    categories: tuple[str, ...]
    forces: tuple[PlanForce, ...]

    @property
    def limit_minutes(self) -> float:
        """When the whole force should be on site: the longest arrival limit of its kinds."""
        return max(f.arrive_minutes for f in self.forces)

    def force(self, kind: str) -> PlanForce | None:
        """The requirement for ``kind``, None when the plan does not require it."""
        return next((f for f in self.forces if f.kind == kind), None)


def _bad(where: object, plans: pd.Series | list[str], zh: str, en: str) -> CategoryError:
    codes = plans if isinstance(plans, list) else list(dict.fromkeys(plans.astype(str)))
    shown = ", ".join(codes[:5])
    return CategoryError(f"应急预案表 {where}：{zh}（预案 {shown}） / emergency plan table "
                         f"{where}: {en} (plans {shown})")


def load_emergency_plans(path: str | os.PathLike[str] | None = None, *,
                         categories: pd.DataFrame | None = None,
                         unit_kinds: tuple[str, ...] | None = None) -> dict[str, Plan]:
    """Load and check an emergency plan table.

    Parameters
    ----------
    path : path-like, optional
        A CSV with the columns ``plan, name_zh, name, categories, unit_kind,
        count, arrive_minutes``; default the shipped table.
    categories : pandas.DataFrame, optional
        The category table the plans' categories must belong to; default
        :func:`gridgis.load_categories`.
    unit_kinds : tuple of str, optional
        The unit kinds a plan may require; default :data:`gridgis.categories.UNIT_KINDS`.

    Returns
    -------
    dict of str to Plan
        By plan code, in the table's order.

    Raises
    ------
    CategoryError
        For a missing column, a row without a plan code, a plan whose names or
        categories differ between its rows, a plan without a category, a
        category unknown to the category table or starting two plans, an
        unknown unit kind or one a plan names twice, a count that is not a
        positive whole number, or an arrival limit that is not a positive
        number of minutes.

    Examples
    --------
    >>> plans = load_emergency_plans()
    >>> p = plans["YA01"]
    >>> p.name_zh, p.categories, [f.kind for f in p.forces][:2]
    ('群体性事件应急预案', ('X01',), ['police_station', 'special_police'])
    >>> plan_for(plans, "X01").force("volunteer_team").arrive_minutes
    15.0
    """
    from gridgis.categories import load_categories

    try:
        raw, where = read_data_table(path, "emergency_plans.csv")
    except FileNotFoundError:
        raise CategoryError(f"应急预案表 {path} 不存在 / emergency plan table {path}: "
                            "no such file") from None
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise CategoryError(f"应急预案表 {where} 缺列 {', '.join(missing)} / emergency plan "
                            f"table {where}: missing column(s) {', '.join(missing)}; expected "
                            f"{', '.join(_COLUMNS)}")
    table = raw[list(_COLUMNS)].apply(lambda s: s.str.strip())
    if table.empty:
        raise CategoryError(f"应急预案表 {where} 没有预案 / emergency plan table {where}: "
                            "no plan")
    if (table["plan"] == "").any():
        raise CategoryError(f"应急预案表 {where}：有一行没有预案编号 / emergency plan table "
                            f"{where}: a row has no plan code")
    plan = table["plan"]
    for column, zh in (("name_zh", "中文名称"), ("name", "名称"), ("categories", "启动类别")):
        differ = table.groupby("plan")[column].transform("nunique") > 1
        if differ.any():
            raise _bad(where, plan[differ], f"同一预案各行的{zh}不一致",
                       f"the rows of a plan give different {column}")
    if (table["name_zh"] == "").any():
        raise _bad(where, plan[table["name_zh"] == ""], "缺少中文名称", "name_zh is empty")
    cats = table["categories"].map(lambda s: tuple(c.strip() for c in s.split(";")
                                                   if c.strip()))
    if (cats.map(len) == 0).any():
        raise _bad(where, plan[cats.map(len) == 0], "未指定启动预案的事件类别",
                   "categories is empty; name the incident categories that start the plan")
    known = load_categories() if categories is None else categories
    unknown = cats.map(lambda cs: any(c not in known.index for c in cs))
    if unknown.any():
        raise _bad(where, plan[unknown], "启动类别不在类别表中",
                   "a category is not in the category table")
    starts: dict[str, str] = {}
    for code, cs in zip(plan, cats, strict=True):
        for c in cs:
            if starts.setdefault(c, code) != code:
                raise _bad(where, [starts[c], code], f"类别 {c} 同时启动两个预案",
                           f"category {c} starts two plans")
    kinds = UNIT_KINDS if unit_kinds is None else unit_kinds
    bad = ~table["unit_kind"].isin(kinds)
    if bad.any():
        raise _bad(where, plan[bad], f"单位类型须为 {'、'.join(kinds)}",
                   f"unit_kind must be one of {', '.join(kinds)}")
    bad = pd.Series(table.duplicated(["plan", "unit_kind"], keep=False).to_numpy(),
                    index=table.index)
    if bad.any():
        raise _bad(where, plan[bad], "同一预案重复列出单位类型", "a plan names a unit kind twice")
    count = pd.to_numeric(table["count"], errors="coerce")
    bad = count.isna() | (count < 1) | (count % 1 != 0)
    if bad.any():
        raise _bad(where, plan[bad], "出动数量须为正整数", "count must be a positive whole number")
    minutes = pd.to_numeric(table["arrive_minutes"].replace("", str(DEFAULT_ARRIVE_MINUTES)),
                            errors="coerce")
    bad = minutes.isna() | ~minutes.map(lambda m: math.isfinite(m) and m > 0).astype(bool)
    if bad.any():
        raise _bad(where, plan[bad], "到场时限须为正数（分钟）",
                   "arrive_minutes must be a positive number of minutes")
    out: dict[str, Plan] = {}
    for code in dict.fromkeys(plan):
        rows = table.index[plan == code]
        first = rows[0]
        out[code] = Plan(code=code, name_zh=table.at[first, "name_zh"],
                         name=table.at[first, "name"], categories=cats[first],
                         forces=tuple(PlanForce(table.at[i, "unit_kind"], int(count[i]),
                                                float(minutes[i])) for i in rows))
    return out


def plan_for(plans: Mapping[str, Plan], category: str) -> Plan | None:
    """The plan an incident of ``category`` starts, None when it starts none.

    Examples
    --------
    >>> plan_for(load_emergency_plans(), "X02").name_zh
    '火灾事故应急预案'
    >>> plan_for(load_emergency_plans(), "D01") is None
    True
    """
    return next((p for p in plans.values() if category in p.categories), None)
