"""Who may read and keep the base information, and what of a person they see.

- **read**: a grid worker the records of their grids; community, township,
  county staff, analysts, planners and administrators those of their area;
  unit staff none (departments get the masked export, not the register).
- **keep** (新增/变更/注销, record a visit): a grid worker in their grids and
  community staff in their community — the people who know the households.
- **personal data** (name, identity number, phone, birth date) whole only to
  those who keep the record; everyone else sees ``张**``,
  ``330399********1234``, ``138****1234`` and the age instead of the birth date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridgis.errors import AccessDeniedError
from gridgis.people.privacy import mask_name, mask_phone
from gridgis.people.roles import ROLE_NAMES, StaffRole
from gridgis.people.staff import StaffMember

__all__ = ["KEEPERS", "check_keep", "mask_id_number", "mask_people", "present_person",
           "read_areas", "sees_personal_data"]

KEEPERS = frozenset({StaffRole.GRID_WORKER, StaffRole.COMMUNITY})
"""Roles that keep the registers (and so see personal data whole, in their area)."""
PERSONAL = ("name", "id_number", "phone", "birth_date")
"""A person's fields masked for those who do not keep the record."""


def read_areas(person: StaffMember) -> tuple[str, ...]:
    """The area codes whose records ``person`` may read (a prefix of the grid code).

    Raises
    ------
    AccessDeniedError
        For a disabled account, unit staff, or a person without an area.

    Examples
    --------
    >>> read_areas(StaffMember("jd01", "李敏", "township", "330399001"))
    ('330399001',)
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role is StaffRole.GRID_WORKER:
        areas = person.grids
    elif person.role is StaffRole.UNIT:
        areas = ()
    else:
        areas = (person.area_code,) if person.area_code else ()
    if not areas:
        raise AccessDeniedError(f"{ROLE_NAMES[person.role]}无权查看基础信息 / a "
                                f"{person.role.value} does not read the base information")
    return tuple(areas)


def _keeps(person: StaffMember, grid_code: str | None) -> bool:
    if not person.active or person.role not in KEEPERS or not grid_code:
        return False
    if person.role is StaffRole.GRID_WORKER:
        return grid_code in person.grids
    return bool(person.area_code) and grid_code.startswith(person.area_code or "\0")


def check_keep(person: StaffMember, grid_code: str | None) -> None:
    """Refuse a 新增/变更/注销 or a visit by someone who does not keep this grid's records.

    Raises
    ------
    AccessDeniedError
    """
    if _keeps(person, grid_code):
        return
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role not in KEEPERS:
        raise AccessDeniedError(f"{ROLE_NAMES[person.role]}不维护基础信息，由网格员和社区维护 / "
                                f"a {person.role.value} does not keep the registers; grid "
                                "workers and communities do")
    raise AccessDeniedError(f"网格 {grid_code or '（无）'} 不在您的辖区 / grid "
                            f"{grid_code or '(none)'} lies outside your area")


def sees_personal_data(person: StaffMember, grid_code: str | None) -> bool:
    """Whether ``person`` sees a person's data of this grid whole."""
    return _keeps(person, grid_code)


def mask_id_number(value: str | None) -> str | None:
    """An identity number with its birth date and sequence hidden.

    Examples
    --------
    >>> mask_id_number("11010519491231002X")
    '110105********002X'
    """
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "****"


def _age(birth: Any, today: dt.date) -> int | None:
    if not isinstance(birth, dt.date):
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def present_person(person: StaffMember, record: Mapping[str, Any], *,
                   today: dt.date) -> dict[str, Any]:
    """A person's record as ``person`` may see it, with ``age`` and ``masked``.

    Examples
    --------
    >>> rec = {"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812341234",
    ...        "birth_date": dt.date(1949, 12, 31), "grid_code": "330399001001001"}
    >>> out = present_person(StaffMember("jd01", "李敏", "township", "330399001"), rec,
    ...                      today=dt.date(2026, 12, 2))
    >>> out["name"], out["phone"], out["birth_date"], out["age"], out["masked"]
    ('张**', '138****1234', None, 76, True)
    """
    out = dict(record)
    out["age"] = _age(record.get("birth_date"), today)
    if sees_personal_data(person, record.get("grid_code")):
        out["masked"] = False
        return out
    out.update(name=mask_name(record.get("name")), phone=mask_phone(record.get("phone")),
               id_number=mask_id_number(record.get("id_number")), birth_date=None,
               masked=True)
    return out


def mask_people(person: StaffMember, frame: pd.DataFrame, *, today: dt.date) -> pd.DataFrame:
    """:func:`present_person` over a frame of people (vectorised: exports of a township).

    Adds ``age`` and ``masked``; masks the rows ``person`` does not keep.
    """
    out = frame.copy()
    birth = pd.to_datetime(out["birth_date"])
    t = pd.Timestamp(today)
    before = (birth.dt.month > t.month) | ((birth.dt.month == t.month) & (birth.dt.day > t.day))
    out["age"] = (t.year - birth.dt.year - before.astype(int)).astype("Int64")
    grid = out["grid_code"].fillna("").astype(str)
    if not person.active or person.role not in KEEPERS:
        keeps = np.zeros(len(out), dtype=bool)
    elif person.role is StaffRole.GRID_WORKER:
        keeps = grid.isin(person.grids).to_numpy()
    else:
        keeps = grid.str.startswith(person.area_code or "\0").to_numpy()
    hide = ~keeps
    out["masked"] = hide
    out["name"] = out["name"].astype(object)
    out.loc[hide, "name"] = [mask_name(v) for v in out.loc[hide, "name"]]
    out.loc[hide, "phone"] = [mask_phone(v) if isinstance(v, str) else None
                              for v in out.loc[hide, "phone"]]
    out.loc[hide, "id_number"] = [mask_id_number(v) for v in out.loc[hide, "id_number"]]
    out["birth_date"] = out["birth_date"].astype(object)
    out.loc[hide, "birth_date"] = None
    return out
