"""The stages of the loop a photo documents, and who may add one at each stage.

Photos go with the report (上报), before handling (处置前), with a progress
report (进展), after handling (处置后) and with the on-site verification
(核查). Whoever may read an incident may add report and before photos; the
after and progress photos prove the handling, so only the unit handling the
matter or a grid worker of its own grid adds them; verification photos are
the own grid worker's, as the verification itself
(:data:`gridgis.people.access.ACCESS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from gridgis.errors import AccessDeniedError, AttachmentError
from gridgis.people.access import RELATION_NAMES, Relation, in_scope
from gridgis.people.roles import StaffRole
from gridgis.people.staff import StaffMember

__all__ = ["STAGE_ACCESS", "STAGE_NAMES", "Stage", "check_upload", "parse_stage"]


class Stage(StrEnum):
    """The stage of the loop a photo or video documents."""

    REPORT = "report"
    BEFORE = "before"
    PROGRESS = "progress"
    AFTER = "after"
    VERIFY = "verify"


STAGE_NAMES: dict[Stage, str] = {Stage.REPORT: "上报", Stage.BEFORE: "处置前",
                                 Stage.PROGRESS: "处置进展", Stage.AFTER: "处置后",
                                 Stage.VERIFY: "核查"}
"""The Chinese name of each stage, as the console shows it."""
_W, _U = StaffRole.GRID_WORKER, StaffRole.UNIT
_HANDLERS = ((_U, Relation.OWN_UNIT), (_W, Relation.OWN_GRID))
STAGE_ACCESS: Mapping[Stage, tuple[tuple[StaffRole, Relation], ...] | None] = {
    Stage.REPORT: None, Stage.BEFORE: None,
    Stage.PROGRESS: _HANDLERS, Stage.AFTER: _HANDLERS,
    Stage.VERIFY: ((_W, Relation.OWN_GRID),),
}
"""Who may add photos of each stage beyond reading the incident (None: every reader)."""


def parse_stage(value: str) -> Stage:
    """The stage named ``value``.

    Raises
    ------
    AttachmentError
        Naming ``stage``, with the stages there are.

    Examples
    --------
    >>> parse_stage("after")
    <Stage.AFTER: 'after'>
    """
    try:
        return Stage(value)
    except ValueError:
        listed = "、".join(f"{s.value}（{STAGE_NAMES[s]}）" for s in Stage)
        raise AttachmentError(f"未知阶段 {value!r}，应为 {listed} / unknown stage {value!r}; "
                              f"stages are {', '.join(Stage)}", field="stage") from None


def _holds(person: StaffMember, relation: Relation, incident: Mapping[str, Any]) -> bool:
    if relation is Relation.OWN_GRID:
        return incident.get("grid_code") in person.grids
    if relation is Relation.OWN_UNIT:
        return person.unit_id is not None and incident.get("unit_id") == person.unit_id
    raise ValueError(f"no photo rule uses the relation {relation}")  # pragma: no cover


def check_upload(person: StaffMember, stage: Stage, incident: Mapping[str, Any]) -> None:
    """Refuse when ``person`` may not add a photo of ``stage`` to ``incident``.

    Parameters
    ----------
    person : StaffMember
        The signed-in person.
    stage : Stage
    incident : mapping
        The stored incident (``grid_code``, ``unit_id``).

    Raises
    ------
    AccessDeniedError
        When the incident lies outside what they may read, or the stage is
        for the handling unit or the own grid's worker and they are neither.
    """
    if not person.active or not in_scope(person, incident):
        raise AccessDeniedError(f"事件 {incident.get('incident_id')} 不在您的辖区 / incident "
                                f"{incident.get('incident_id')} is outside your jurisdiction")
    pairs = STAGE_ACCESS[stage]
    if pairs is None or any(role is person.role and _holds(person, rel, incident)
                            for role, rel in pairs):
        return
    who = "或".join(RELATION_NAMES[rel] for _, rel in pairs)
    raise AccessDeniedError(
        f"「{STAGE_NAMES[stage]}」照片仅限{who}上传 / {stage.value} photos are added by "
        f"{' or '.join(f'{r.value} ({rel.value})' for r, rel in pairs)} only; incident "
        f"{incident.get('incident_id')} is in grid {incident.get('grid_code')}, unit "
        f"{incident.get('unit_id') or 'none'}")
