"""After an agreement: its fulfilment (履行情况) and model cases (典型案例).

A mediation desk records whether an agreement of its area was carried out
(:func:`record_fulfilment`: fulfilled, partly or not, on a day, with a
note); the case's ``fulfilment`` becomes that status, and one not fully
carried out gets a follow-up task (督促履行, a week on) so the desk presses
for it or helps the applicant to the court's confirmation. The same check
again (same day and status) is the check already written.

The county marks an agreement a model case with its commentary
(:func:`mark_model`, kept as learning material, so it is searched with the
rest) and unmarks it (:func:`unmark_model`, the commentary withdrawn). Both
can be repeated without harm.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from gridgis.errors import AccessDeniedError, InputError
from gridgis.mediation import tables as t
from gridgis.mediation.access import CaseScope
from gridgis.mediation.materials import material_id_for
from gridgis.mediation.names import DISPUTE_TYPES, FULFILMENT_NAMES, Fulfilment, Outcome
from gridgis.mediation.store import CaseNotFoundError, MediationStore, conflict, scope_clause
from gridgis.mediation.writes import check_desk
from gridgis.people.roles import StaffRole
from gridgis.people.staff import StaffMember

__all__ = ["PRESS", "commentary_source", "mark_model", "record_fulfilment", "unmark_model"]

PRESS = ("fulfil", "督促履行调解协议（必要时引导申请司法确认）", 7)
"""The follow-up task of an agreement not fully carried out: kind, title, days."""


def _agreement(conn: sa.Connection, scope: CaseScope, case_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(t.cases).where(
        t.cases.c.case_id == case_id, scope_clause(scope))).mappings().first()
    if row is None:
        raise CaseNotFoundError(case_id)
    if row["outcome"] != Outcome.AGREEMENT:
        raise conflict(f"案件 {case_id} 未达成调解协议 / case {case_id} has no agreement",
                       "case_id")
    return dict(row)


def record_fulfilment(store: MediationStore, person: StaffMember, scope: CaseScope,
                      case_id: str, *, status: str, on: dt.date, note: str, at: dt.datetime
                      ) -> tuple[dict[str, Any], bool]:
    """Record a check of an agreement's fulfilment; one not fully done gets a follow-up.

    Parameters
    ----------
    store : MediationStore
    person : StaffMember
        A mediation desk (:func:`~gridgis.mediation.writes.check_desk`).
    scope : CaseScope
    case_id : str
    status : str
        ``fulfilled``, ``partial`` or ``unfulfilled``.
    on : date
        The day it was checked (not before the agreement, not after ``at``).
    note : str
    at : datetime
        Now.

    Returns
    -------
    (dict, bool)
        ``check`` (the record), ``fulfilment`` and ``followup`` (or None); and
        whether written now (False: this check was recorded before).

    Raises
    ------
    CaseNotFoundError
    ConflictError
        The case has no agreement.
    InputError
        A status of ``pending`` or unknown, a day out of range, an empty note.
    """
    check_desk(person)
    try:
        kind = Fulfilment(status)
    except ValueError:
        kind = Fulfilment.PENDING
    if kind is Fulfilment.PENDING:
        raise InputError("status: 履行情况须为 已履行、部分履行 或 未履行 / fulfilled, partial "
                         "or unfulfilled", field="status")
    if on > at.date():
        raise InputError("checked_on: 回访日期不能晚于今天 / the day is in the future",
                         field="checked_on")
    if not note.strip():
        raise InputError("note: 请填写履行情况说明 / give a note", field="note")
    check = {"case_id": case_id, "status": kind.value, "checked_on": on, "note": note.strip(),
             "recorded_by": person.staff_id, "recorded_at": at}
    with store.engine.begin() as conn:  # the store's write transaction (and lock)
        case = _agreement(conn, scope, case_id)
        if case["closed_at"] is not None and on < case["closed_at"].date():
            raise InputError("checked_on: 回访日期早于达成协议 / the day is before the "
                             "agreement", field="checked_on")
        before = conn.execute(sa.select(t.fulfilments).where(
            t.fulfilments.c.case_id == case_id, t.fulfilments.c.checked_on == on,
            t.fulfilments.c.status == kind.value)).mappings().first()
        if before is not None:
            return {"check": dict(before), "fulfilment": kind.value, "followup": None}, False
        conn.execute(sa.insert(t.fulfilments).values(**check))
        conn.execute(sa.update(t.cases).where(t.cases.c.case_id == case_id)
                     .values(fulfilment=kind.value))
        followup = None
        if kind is not Fulfilment.FULFILLED:
            task, title, days = PRESS
            followup = {"case_id": case_id, "kind": task,
                        "title": f"{title}：{FULFILMENT_NAMES[kind]}",
                        "due_at": at + dt.timedelta(days=days), "done_at": None,
                        "assignee": person.staff_id}
            conn.execute(sa.insert(t.followups).values(**followup))
    return {"check": check, "fulfilment": kind.value, "followup": followup}, True


def _county(person: StaffMember) -> None:
    if not person.active or person.role is not StaffRole.COMMAND_CENTRE:
        raise AccessDeniedError("仅县级可认定典型案例 / only the county marks model cases")


def commentary_source(case_id: str) -> str:
    """Where a model case's commentary comes from (its learning material's ``source``)."""
    return f"区人民调解典型案例（{case_id}）"


def mark_model(store: MediationStore, person: StaffMember, scope: CaseScope, case_id: str, *,
               commentary: str, at: dt.datetime) -> tuple[dict[str, Any], bool]:
    """Mark an agreement a model case with the county's commentary (评析).

    Returns
    -------
    (dict, bool)
        The commentary as learning material, and whether anything changed.

    Raises
    ------
    AccessDeniedError
        Not the county.
    CaseNotFoundError
    ConflictError
        The case has no agreement.
    InputError
        An empty commentary.
    """
    _county(person)
    if not commentary.strip():
        raise InputError("commentary: 请填写案例评析 / give the commentary", field="commentary")
    with store.engine.begin() as conn:
        case = _agreement(conn, scope, case_id)
        kind = DISPUTE_TYPES[case["dispute_type"]]
        title = f"典型案例：{case['title']}"[:t.materials.c.title.type.length]
        source = commentary_source(case_id)
        material = {"material_id": material_id_for("commentary", title, source),
                    "kind": "commentary", "title": title, "source": source,
                    "body": commentary.strip(), "tags": f"{kind.code},{kind.name},典型案例",
                    "case_id": case_id, "published_on": at.date(),
                    "recorded_by": person.staff_id, "revision": 1}
        before = conn.execute(sa.select(t.materials).where(
            t.materials.c.case_id == case_id)).mappings().first()
        changed = not case["model_case"]
        if changed:
            conn.execute(sa.update(t.cases).where(t.cases.c.case_id == case_id)
                         .values(model_case=True))
        if before is None:
            conn.execute(sa.insert(t.materials).values(**material))
            return material, True
        if before["body"] == material["body"]:
            return dict(before), changed
        material["revision"] = before["revision"] + 1
        conn.execute(sa.update(t.materials).where(
            t.materials.c.material_id == before["material_id"]).values(
                body=material["body"], published_on=material["published_on"],
                recorded_by=person.staff_id, revision=material["revision"]))
        return {**dict(before), **{k: material[k] for k in (
            "body", "published_on", "recorded_by", "revision")}}, True


def unmark_model(store: MediationStore, person: StaffMember, scope: CaseScope, case_id: str
                 ) -> bool:
    """Unmark a model case and withdraw its commentary; whether anything changed.

    Raises
    ------
    AccessDeniedError
        Not the county.
    CaseNotFoundError
    """
    _county(person)
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(t.cases.c.model_case).where(
            t.cases.c.case_id == case_id, scope_clause(scope))).first()
        if row is None:
            raise CaseNotFoundError(case_id)
        gone = conn.execute(sa.delete(t.materials).where(t.materials.c.case_id == case_id))
        if row.model_case:
            conn.execute(sa.update(t.cases).where(t.cases.c.case_id == case_id)
                         .values(model_case=False))
        return bool(row.model_case) or gone.rowcount > 0
