"""The expert pool (专家库) and consulting an expert on a case (专家咨询).

The county keeps the pool: :func:`add_expert` registers an expert once
(the same name, employer and field again is the expert registered first).
A mediation desk consults an expert of the pool on an open case of its area
(:func:`consult`), recording the expert's opinion; the same opinion again
is the record already written, another opinion of the same expert 409.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from gridgis.errors import AccessDeniedError, InputError
from gridgis.mediation import tables as t
from gridgis.mediation.access import CaseScope
from gridgis.mediation.store import CaseNotFoundError, MediationStore, conflict, scope_clause
from gridgis.mediation.writes import check_desk
from gridgis.people.privacy import mask_name, mask_phone
from gridgis.people.roles import StaffRole
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["EXPERT_FIELDS", "add_expert", "consult", "expert_id_for", "experts_as_seen"]

EXPERT_FIELDS = ("医学", "法律", "劳动保障", "建筑工程", "心理咨询", "交通事故鉴定", "价格评估",
                 "土地测绘")
"""The fields of the pool (专业领域)."""


def expert_id_for(name: str, employer: str, field: str) -> str:
    """An expert's id: the same for the same name, employer and field."""
    digest = hashlib.sha256(f"{name.strip()}\n{employer.strip()}\n{field}".encode())
    return f"ZJW{digest.hexdigest()[:12].upper()}"


def add_expert(store: MediationStore, person: StaffMember, *, name: str, field: str,
               title: str, employer: str, phone: str | None = None
               ) -> tuple[dict[str, Any], bool]:
    """Register an expert in the pool (the county only).

    Returns
    -------
    (dict, bool)
        The expert and whether registered now (False: registered before, the same).

    Raises
    ------
    AccessDeniedError
        Not the county.
    InputError
        An unknown field or an empty name, title or employer.
    ConflictError
        The expert is registered already with another title or phone.
    """
    if not person.active or person.role is not StaffRole.COMMAND_CENTRE:
        raise AccessDeniedError("仅县级可维护专家库 / only the county keeps the expert pool")
    if field not in EXPERT_FIELDS:
        raise InputError(f"field: 专业领域须为 {'、'.join(EXPERT_FIELDS)} / no field {field!r}",
                         field="field")
    for key, value in (("name", name), ("title", title), ("employer", employer)):
        if not value.strip():
            raise InputError(f"{key}: 不能为空 / must not be empty", field=key)
    row = {"expert_id": expert_id_for(name, employer, field), "name": name.strip(),
           "field": field, "title": title.strip(), "employer": employer.strip(), "phone": phone}
    with store.engine.begin() as conn:
        before = conn.execute(sa.select(t.experts).where(
            t.experts.c.expert_id == row["expert_id"])).mappings().first()
        if before is not None:
            if dict(before) != row:
                raise conflict(f"专家库已有{row['employer']}的{row['name']}（{field}），信息不同 "
                               "/ the expert is registered with other details", "name")
            return row, False
        conn.execute(sa.insert(t.experts).values(**row))
    return row, True


def experts_as_seen(store: MediationStore, *, unmasked: bool,
                    field: str | None = None) -> list[dict[str, Any]]:
    """The pool, names and phones masked for readers who are not mediation desks."""
    query = sa.select(t.experts).order_by(t.experts.c.field, t.experts.c.expert_id)
    if field:
        query = query.where(t.experts.c.field == field)
    with reading(store.engine) as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    if not unmasked:
        for r in rows:
            r["name"], r["phone"] = mask_name(r["name"]), mask_phone(r["phone"])
    return rows


def consult(store: MediationStore, person: StaffMember, scope: CaseScope, case_id: str, *,
            expert_id: str, opinion: str) -> tuple[dict[str, Any], bool]:
    """Record an expert's opinion (专家意见) on an open case of the desk's area.

    Returns
    -------
    (dict, bool)
        The record and whether written now (False: the same opinion was recorded).

    Raises
    ------
    AccessDeniedError
        Not a mediation desk.
    CaseNotFoundError
        No such case the desk may read.
    InputError
        No such expert, or an empty opinion.
    ConflictError
        The case is closed, or the expert's opinion on it is recorded with other words.
    """
    check_desk(person)
    if not opinion.strip():
        raise InputError("opinion: 请填写专家意见 / give the expert's opinion", field="opinion")
    row = {"case_id": case_id, "expert_id": expert_id, "opinion": opinion.strip()}
    with store.engine.begin() as conn:
        case = conn.execute(sa.select(t.cases.c.outcome).where(
            t.cases.c.case_id == case_id, scope_clause(scope))).first()
        if case is None:
            raise CaseNotFoundError(case_id)
        expert = conn.execute(sa.select(t.experts.c.name).where(
            t.experts.c.expert_id == expert_id)).first()
        if expert is None:
            raise InputError(f"expert_id: 专家库中没有 {expert_id} / no expert {expert_id} in "
                             "the pool", field="expert_id")
        before = conn.execute(sa.select(t.case_experts.c.opinion).where(
            t.case_experts.c.case_id == case_id,
            t.case_experts.c.expert_id == expert_id)).first()
        if before is not None:
            if before.opinion != row["opinion"]:
                raise conflict(f"已记录专家{expert.name}对本案的意见 / this expert's opinion "
                               "is recorded already", "expert_id")
            return {**row, "name": expert.name}, False
        if case.outcome is not None:
            raise conflict(f"案件 {case_id} 已结案 / case {case_id} is closed", "case_id")
        conn.execute(sa.insert(t.case_experts).values(**row))
    return {**row, "name": expert.name}, True
