"""Quality assessment of mediations (质量评估): a reviewer's scores of a closed case.

A reviewer of the township or the county (the level above the committees
that mediate) scores a closed case of their area on four criteria
(:data:`~gridgis.mediation.names.CRITERIA`, 0–100 each): procedure (程序规范),
legality (合法合规), the parties' satisfaction (当事人满意度) and, for an
agreement, its fulfilment (协议履行). The weighted total gives the grade
(优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60, else 不合格). A reviewer assesses a case once:
the same scores again are the assessment already written, other scores 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from gridgis.errors import AccessDeniedError, InputError
from gridgis.mediation import tables as t
from gridgis.mediation.access import CaseScope
from gridgis.mediation.names import CRITERIA, Grade, Outcome
from gridgis.mediation.store import CaseNotFoundError, MediationStore, conflict, scope_clause
from gridgis.people.roles import StaffRole
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["REVIEWERS", "assess", "check_reviewer", "grade_of", "quality_by_organisation",
           "total_of"]

REVIEWERS = frozenset({StaffRole.TOWNSHIP, StaffRole.COMMAND_CENTRE})
"""Roles that assess mediations (乡镇司法所 and the county)."""


def total_of(scores: Mapping[str, Any]) -> float:
    """The weighted total of the criteria scored (fulfilment left out when not scored).

    Examples
    --------
    >>> total_of({"procedure": 90, "legality": 90, "satisfaction": 80, "fulfilment": 100})
    89.0
    >>> total_of({"procedure": 80, "legality": 80, "satisfaction": 80, "fulfilment": None})
    80.0
    """
    given = {k: float(v) for k, v in scores.items()
             if k in CRITERIA and not pd.isna(v)}  # None, NaN or NA: not scored
    weight = sum(CRITERIA[k][1] for k in given)
    return round(sum(CRITERIA[k][1] * v for k, v in given.items()) / weight, 1)


def grade_of(total: float) -> Grade:
    """The grade of a total score.

    Examples
    --------
    >>> grade_of(89.0).value, grade_of(59.9).value
    ('good', 'fail')
    """
    return (Grade.EXCELLENT if total >= 90 else Grade.GOOD if total >= 75 else
            Grade.PASS if total >= 60 else Grade.FAIL)


def check_reviewer(person: StaffMember) -> None:
    """Refuse anyone but an active township or county reviewer.

    Raises
    ------
    AccessDeniedError
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role not in REVIEWERS or not person.area_code:
        raise AccessDeniedError("仅乡镇（街道）和县级可评估调解质量 / only the township and the "
                                "county assess mediations")


def assess(store: MediationStore, person: StaffMember, scope: CaseScope, case_id: str, *,
           procedure: int, legality: int, satisfaction: int, fulfilment: int | None = None,
           note: str = "", at: dt.datetime) -> tuple[dict[str, Any], bool]:
    """Record a reviewer's assessment of a closed case of their area.

    Parameters
    ----------
    store : MediationStore
    person : StaffMember
        The reviewer (see :func:`check_reviewer`).
    scope : CaseScope
        The reviewer's (:func:`~gridgis.mediation.access.case_scope`).
    case_id : str
    procedure, legality, satisfaction : int
        Scores 0–100.
    fulfilment : int, optional
        Score 0–100 of an agreement's fulfilment (not for other outcomes).
    note : str
    at : datetime

    Returns
    -------
    (dict, bool)
        The assessment and whether it was written now (False: the same scores were
        written before).

    Raises
    ------
    AccessDeniedError
    CaseNotFoundError
        No such case the reviewer may read.
    InputError
        A score out of 0–100, or a fulfilment score of a case without an agreement.
    ConflictError
        The case is open, or this reviewer assessed it already with other scores.
    """
    check_reviewer(person)
    scores = {"procedure": procedure, "legality": legality, "satisfaction": satisfaction,
              "fulfilment": fulfilment}
    for key, value in scores.items():
        if value is not None and not 0 <= value <= 100:
            raise InputError(f"{key}: {CRITERIA[key][0]}评分须在 0–100 之间 / score 0 to 100",
                             field=key)
    total = total_of(scores)
    row = {"case_id": case_id, **scores, "total": total, "grade": grade_of(total).value,
           "note": note.strip(), "assessor": person.staff_id, "assessor_name": person.name,
           "assessed_at": at}
    with store.engine.begin() as conn:  # the store's write transaction (and lock)
        case = conn.execute(sa.select(t.cases.c.outcome).where(
            t.cases.c.case_id == case_id, scope_clause(scope))).first()
        if case is None:
            raise CaseNotFoundError(case_id)
        if case.outcome is None:
            raise conflict(f"案件 {case_id} 尚未结案，结案后才能评估 / the case is still open",
                           "case_id")
        if fulfilment is not None and case.outcome != Outcome.AGREEMENT:
            raise InputError("fulfilment: 只有达成协议的案件才评协议履行 / only an agreement's "
                             "fulfilment is scored", field="fulfilment")
        before = conn.execute(sa.select(t.assessments).where(
            t.assessments.c.case_id == case_id,
            t.assessments.c.assessor == person.staff_id)).mappings().first()
        if before is not None:
            same = all(before[k] == row[k] for k in (*scores, "note"))
            if not same:
                raise conflict(f"您已评估过案件 {case_id} / you assessed case {case_id} "
                               "already", "case_id")
            return dict(before), False
        row["assessment_id"] = conn.execute(
            sa.insert(t.assessments).values(**row)).inserted_primary_key[0]
    return row, True


def quality_by_organisation(store: MediationStore, *, scope: CaseScope | None = None
                            ) -> pd.DataFrame:
    """Assessments summed up per mediation organisation (of the cases ``scope`` reads).

    Returns
    -------
    pandas.DataFrame
        ``org_id``, ``name``, ``kind``, ``assessed`` (cases), the mean of each
        criterion and of ``total``, and the share graded 优秀 (``excellent``) and
        不合格 (``fail``), best mean total first.
    """
    query = (sa.select(t.assessments, t.cases.c.org_id, t.organisations.c.name,
                       t.organisations.c.kind)
             .join(t.cases, t.cases.c.case_id == t.assessments.c.case_id)
             .join(t.organisations, t.organisations.c.org_id == t.cases.c.org_id)
             .where(scope_clause(scope)))
    with reading(store.engine) as conn:
        frame = pd.DataFrame([dict(r) for r in conn.execute(query).mappings()])
    if frame.empty:
        return frame
    frame["excellent"] = frame["grade"] == Grade.EXCELLENT
    frame["fail"] = frame["grade"] == Grade.FAIL
    out = frame.groupby(["org_id", "name", "kind"]).agg(
        assessed=("case_id", "nunique"), **{k: (k, "mean") for k in CRITERIA},
        total=("total", "mean"), excellent=("excellent", "mean"), fail=("fail", "mean"))
    return out.reset_index().sort_values(["total", "org_id"], ascending=[False, True],
                                         ignore_index=True)

