"""改派: a returned matter goes to another department, under another category if need be.

A unit returns a matter it is not responsible for (退回); the holder then
reroutes it (改派) with a reason: the category and/or the responsible
department (the kind of unit) change, and a unit of one of the new
category's kinds takes it. The new department gets the category's full
progress and resolve limits from the moment of the reroute (as an escalated
matter does: the time the wrong department had is not counted against the
right one); the deploy limit already ran when the matter was returned.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from gridgis.dispatch.effects import District, Result, Step
from gridgis.errors import CategoryError, InputError, TransitionError

__all__ = ["RerouteDesk", "reroute"]


class RerouteDesk(District, Protocol):
    """What rerouting needs of the district besides :class:`District`."""

    def unit_kind(self, unit_id: str) -> str | None:
        """The kind of a unit (None for an unknown one)."""

    def returned_unit(self, incident_id: str) -> str | None:
        """The unit that last returned the incident (None when none did)."""


def reroute(s: Step) -> Result:
    """The matter goes to the ``unit_id`` input, under the ``category`` input (default: kept).

    Refused unless the matter was returned (退回) and waits to be deployed
    again; the unit must be of one of the category's unit kinds (and of the
    ``kind`` input when one is named); the category or the department must
    change (another unit of the kind that returned it is a plain dispatch).

    Raises
    ------
    TransitionError
        The matter was not returned.
    CategoryError
        An unknown category.
    InputError
        The unit is not of the category's kinds, it is the unit that returned
        the matter, or nothing changes (``field`` names the input).
    """
    desk = cast(RerouteDesk, s.district)
    current = s.current
    returned_by = desk.returned_unit(current.incident_id) if current.returned else None
    if returned_by is None or current.unit_id is not None:
        raise TransitionError("只有被退回、待重新派遣的事项才能改派 / only a returned matter "
                              "waiting to be deployed again can be rerouted")
    category = s.inputs.get("category") or current.category
    if category not in desk.categories.index:
        raise CategoryError(f"未知事件类别 {category!r} / unknown category {category!r}")
    row = desk.categories.loc[category]
    kinds = tuple(row["unit_kinds"])
    unit_id = s.inputs["unit_id"]
    unit_kind = desk.unit_kind(unit_id)
    if unit_kind is None:
        raise InputError(f"未知单位 {unit_id!r} / unknown unit {unit_id!r}", field="unit_id")
    wanted = s.inputs.get("kind")
    if wanted is not None and wanted not in kinds:
        raise InputError(f"责任部门 {desk.kind_name(wanted)} 不承办类别 {row['name_zh']} / "
                         f"{wanted} does not handle category {category}", field="kind")
    if unit_kind not in kinds or (wanted is not None and unit_kind != wanted):
        allowed = "、".join(desk.kind_name(k) for k in ((wanted,) if wanted else kinds))
        raise InputError(f"单位 {unit_id} 是{desk.kind_name(unit_kind)}，须改派给{allowed} / "
                         f"unit {unit_id} is a {unit_kind}; reroute to a "
                         f"{' or '.join((wanted,) if wanted else kinds)}", field="unit_id")
    if unit_id == returned_by:
        raise InputError(f"不能改派给退回该事项的单位 {unit_id} / {unit_id} returned the matter; "
                         "reroute it to another unit", field="unit_id")
    from_kind = desk.unit_kind(returned_by)
    if category == current.category and unit_kind == from_kind:
        raise InputError("改派须变更事件类别或责任部门；同类单位请直接派遣 / a reroute changes "
                         "the category or the department; dispatch to another unit of the same "
                         "kind instead", field="category")
    due = desk.deadlines(s.now, category)
    changes: dict[str, Any] = {
        "unit_id": unit_id, "category": category, "priority": row["priority"],
        "platform": row["platform"], "progress_by": due.progress_by,
        "resolve_by": due.resolve_by, "progress_at": None,
        **desk.stage(s.now, due.progress_by)}
    data: dict[str, Any] = {
        "unit_id": unit_id, "kind": unit_kind, "from_unit": returned_by, "from_kind": from_kind,
        "category": category, "from_category": current.category,
        "progress_by": due.progress_by.isoformat(), "resolve_by": due.resolve_by.isoformat()}
    return changes, data
