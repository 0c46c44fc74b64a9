"""Who works in a command centre: staff roles, grid-worker grades and their levels.

A person signs in with one role. The roles that act in the closed loop are the
loop's own (:class:`gridgis.incidents.names.Role`): grid workers, unit staff and
the dispatchers of the three levels (community/village, township/street and
the county command centre). Analysts, planners and administrators read within
their jurisdiction and take no loop action.
"""

from __future__ import annotations

from enum import StrEnum

from gridgis.incidents.names import Role

__all__ = [
    "AREA_CODE_LENGTH",
    "DISPATCHER_LEVEL",
    "GRADE_NAMES",
    "ROLE_NAMES",
    "Grade",
    "StaffRole",
    "loop_role",
]


class StaffRole(StrEnum):
    """The role a person signs in with."""

    GRID_WORKER = "grid_worker"
    COMMUNITY = "community"
    TOWNSHIP = "township"
    COMMAND_CENTRE = "command_centre"
    UNIT = "unit"
    ANALYST = "analyst"
    PLANNER = "planner"
    ADMIN = "admin"


class Grade(StrEnum):
    """A grid worker's grade (网格员类别)."""

    GRID_HEAD = "grid_head"
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    INFORMANT = "informant"


ROLE_NAMES: dict[StaffRole, str] = {
    StaffRole.GRID_WORKER: "网格员", StaffRole.COMMUNITY: "社区(村)综治中心",
    StaffRole.TOWNSHIP: "乡镇(街道)综治中心", StaffRole.COMMAND_CENTRE: "县(区)综治中心",
    StaffRole.UNIT: "承办单位", StaffRole.ANALYST: "分析员", StaffRole.PLANNER: "网格规划员",
    StaffRole.ADMIN: "系统管理员"}
"""The Chinese name of each role, as the console shows it."""
GRADE_NAMES: dict[Grade, str] = {Grade.GRID_HEAD: "网格长", Grade.FULL_TIME: "专职网格员",
                                 Grade.PART_TIME: "兼职网格员", Grade.INFORMANT: "信息员"}
"""The Chinese name of each grid-worker grade."""
DISPATCHER_LEVEL: dict[StaffRole, int] = {
    StaffRole.COMMUNITY: 0, StaffRole.TOWNSHIP: 1, StaffRole.COMMAND_CENTRE: 2}
"""The escalation level (0 community, 1 township, 2 county) each dispatcher role holds."""
AREA_CODE_LENGTH: dict[StaffRole, tuple[int, ...]] = {
    StaffRole.COMMUNITY: (12,), StaffRole.TOWNSHIP: (9,), StaffRole.COMMAND_CENTRE: (6,),
    StaffRole.GRID_WORKER: (12,), StaffRole.ANALYST: (6, 9, 12), StaffRole.PLANNER: (6, 9, 12),
    StaffRole.ADMIN: (6,), StaffRole.UNIT: (6, 9)}
"""Lengths a jurisdiction code may have per role (a grid worker's is the community of the
grids; a unit's is the township or county it serves)."""


def loop_role(role: StaffRole | str) -> Role | None:
    """The closed loop's role a staff role acts as, or None for roles that take no action.

    Examples
    --------
    >>> loop_role("township")
    <Role.TOWNSHIP: 'township'>
    >>> loop_role("analyst") is None
    True
    """
    try:
        return Role(str(role))
    except ValueError:
        return None
