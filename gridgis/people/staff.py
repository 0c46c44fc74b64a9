"""A member of staff: who they are, their role and where they may act.

A grid worker is linked to the grids they serve (``grids``); a dispatcher,
analyst, planner or administrator holds an area code (community 12 digits,
township 9, county 6); a unit's staff hold the unit's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from gridgis.errors import StaffError
from gridgis.people.roles import AREA_CODE_LENGTH, GRADE_NAMES, ROLE_NAMES, Grade, StaffRole

__all__ = ["StaffMember"]

STAFF_ID = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")
PHONE = re.compile(r"^\+?[0-9\-]{5,20}$")


@dataclass(frozen=True)
class StaffMember:
    """One person who signs in.

    Parameters
    ----------
    staff_id : str
        The sign-in name: 2–32 letters, digits, ``_ . -``.
    name : str
        Display name.
    role : StaffRole
    area_code : str, optional
        Jurisdiction: the community of a grid worker's grids, the community,
        township or county of a dispatcher, analyst, planner or administrator,
        the township or county a unit serves.
    grade : Grade, optional
        A grid worker's grade (required for grid workers, refused otherwise).
    unit_id : str, optional
        The unit of a unit's staff (required for them, refused otherwise).
    phone : str, optional
    active : bool, default True
        A disabled person can no longer sign in, and their tokens stop working.
    grids : tuple of str
        The grids a grid worker serves (15-digit codes within ``area_code``).

    Examples
    --------
    >>> StaffMember("wg001", "唐欣", StaffRole.GRID_WORKER, "330399001001",
    ...             grade=Grade.GRID_HEAD, grids=("330399001001001",)).title
    '网格员(网格长)'
    """

    staff_id: str
    name: str
    role: StaffRole
    area_code: str | None = None
    grade: Grade | None = None
    unit_id: str | None = None
    phone: str | None = None
    active: bool = True
    grids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        def bad(field_name: str, zh: str, en: str) -> StaffError:
            return StaffError(f"{zh} / {en}", field=field_name)

        if not isinstance(self.staff_id, str) or not STAFF_ID.match(self.staff_id):
            raise bad("staff_id", f"工号 {self.staff_id!r} 须为 2–32 位字母、数字或 _ . -",
                      f"staff_id {self.staff_id!r} must be 2-32 letters, digits, _ . -")
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 64:
            raise bad("name", "姓名不能为空，且不超过 64 字", "name must be 1-64 characters")
        try:
            role = StaffRole(self.role)
        except ValueError:
            raise bad("role", f"未知角色 {self.role!r}", f"unknown role {self.role!r}; roles "
                      f"are {', '.join(StaffRole)}") from None
        object.__setattr__(self, "role", role)
        grade = self.grade or None
        if role is StaffRole.GRID_WORKER:
            try:
                grade = Grade(grade or "")
            except ValueError:
                raise bad("grade", f"网格员须有类别（{'、'.join(Grade)}）",
                          f"a grid worker needs a grade: {', '.join(Grade)}") from None
        elif grade:
            raise bad("grade", "只有网格员有类别", "only grid workers have a grade")
        object.__setattr__(self, "grade", grade)
        unit = self.unit_id or None
        if role is StaffRole.UNIT and not unit:
            raise bad("unit_id", "承办单位人员须注明单位", "unit staff need a unit_id")
        if role is not StaffRole.UNIT and unit:
            raise bad("unit_id", "只有承办单位人员属于单位", "only unit staff belong to a unit")
        object.__setattr__(self, "unit_id", unit)
        area = self.area_code or None
        lengths = AREA_CODE_LENGTH[role]
        if area is None and role is not StaffRole.UNIT:
            raise bad("area_code", f"{ROLE_NAMES[role]}须有辖区代码",
                      f"a {role.value} needs an area_code (the jurisdiction)")
        if area is not None and (not area.isdigit() or len(area) not in lengths):
            raise bad("area_code", f"辖区代码 {area!r} 应为 {'或'.join(map(str, lengths))} 位数字",
                      f"area_code {area!r} of a {role.value} has "
                      f"{' or '.join(map(str, lengths))} digits")
        object.__setattr__(self, "area_code", area)
        grids = tuple(dict.fromkeys(self.grids or ()))
        if role is StaffRole.GRID_WORKER:
            if not grids:
                raise bad("grids", "网格员须关联至少一个网格", "a grid worker serves at least "
                          "one grid")
            for code in grids:
                if not (code.isdigit() and len(code) == 15 and code.startswith(area or "")):
                    raise bad("grids", f"网格代码 {code!r} 应为辖区 {area} 内的 15 位代码",
                              f"grid {code!r} is not a 15-digit code within {area}")
        elif grids:
            raise bad("grids", "只有网格员关联网格", "only grid workers are linked to grids")
        object.__setattr__(self, "grids", grids)
        phone = self.phone or None
        if phone is not None and not PHONE.match(phone):
            raise bad("phone", f"电话号码 {phone!r} 格式不对", f"phone {phone!r} is not a number")
        object.__setattr__(self, "phone", phone)

    @property
    def title(self) -> str:
        """The role's Chinese name, with the grade of a grid worker."""
        base = ROLE_NAMES[self.role]
        return f"{base}({GRADE_NAMES[self.grade]})" if self.grade else base

    def disabled(self) -> StaffMember:
        """The same person, no longer active."""
        return replace(self, active=False)
