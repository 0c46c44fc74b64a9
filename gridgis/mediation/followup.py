"""Failed mediations (调解不成): the follow-up task list and the referral record.

:func:`record_failure` closes a case as failed, records where it was passed
on (court, petition office, arbitration) and sets its follow-up tasks:
visit the parties again (回访) after a week, track the court, arbitration or
petition in two, and check the measures that keep the matter calm (稳控) in
three. A referral to the petition office marks the case sensitive, so it is
then shared only with the county and the unit it went to.
:func:`open_followups` lists the tasks not yet done, the overdue first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from gridgis.errors import ConflictError, InputError
from gridgis.mediation import tables as t
from gridgis.mediation.access import CaseScope
from gridgis.mediation.names import REFERRAL_NAMES, Referral
from gridgis.mediation.store import CaseNotFoundError, MediationStore, scope_clause
from gridgis.store.reading import reading

__all__ = ["FOLLOW_UPS", "open_followups", "record_failure"]

FOLLOW_UPS = (("revisit", "回访当事人，了解诉求变化", 7),
              ("track", "跟踪诉讼/仲裁/信访进展", 14),
              ("stabilise", "落实稳控化解措施", 21))
"""Kind, title and the days after the failure each follow-up task is due."""


def record_failure(store: MediationStore, case_id: str, *, to: str, reason: str, by: str,
                   at: dt.datetime, to_unit: str | None = None,
                   only_open: bool = False) -> dict[str, Any]:
    """Close a case as failed, refer it and set its follow-up tasks, in one transaction.

    Parameters
    ----------
    store : MediationStore
    case_id : str
    to : str
        ``court``, ``petition`` or ``arbitration``.
    reason : str
        Why it failed and what the parties were told.
    by : str
        Who records it (the mediator or desk).
    at : datetime
    to_unit : str, optional
        The receiving unit of the district, when there is one.
    only_open : bool, default False
        Write only if the case is still open (no outcome): else ConflictError.

    Returns
    -------
    dict
        ``referral`` and ``followups`` as written.

    Raises
    ------
    InputError
        For an unknown referral or an empty reason.
    CaseNotFoundError
    ConflictError
        With ``only_open``, when the case is closed already.
    """
    try:
        kind = Referral(to)
    except ValueError:
        raise InputError(f"to: 移交去向须为 {'、'.join(REFERRAL_NAMES.values())} / refer to "
                         f"court, petition or arbitration, not {to!r}", field="to") from None
    if not reason.strip():
        raise InputError("reason: 请说明调解不成的原因 / give the reason", field="reason")
    referral = {"case_id": case_id, "to_kind": kind.value, "to_unit": to_unit,
                "referred_at": at, "reason": reason.strip(), "recorded_by": by}
    tasks = [{"case_id": case_id, "kind": k, "title": title,
              "due_at": at + dt.timedelta(days=days), "done_at": None, "assignee": by}
             for k, title, days in FOLLOW_UPS]
    with store.engine.begin() as conn:
        which = [t.cases.c.case_id == case_id]
        if only_open:
            which.append(t.cases.c.outcome.is_(None))
        found = conn.execute(sa.update(t.cases).where(*which).values(
            outcome="failed", closed_at=at, terms=None, agreed_amount=None, fulfilment=None,
            **({"sensitive": True} if kind is Referral.PETITION else {})))
        if found.rowcount == 0:
            if only_open and conn.execute(sa.select(t.cases.c.case_id).where(
                    t.cases.c.case_id == case_id)).first() is not None:
                raise ConflictError(f"案件 {case_id} 已结案 / case {case_id} is closed")
            raise CaseNotFoundError(case_id)
        conn.execute(sa.insert(t.referrals).values(**referral))
        conn.execute(sa.insert(t.followups), tasks)
    return {"referral": referral, "followups": tasks}


def open_followups(store: MediationStore, *, now: dt.datetime,
                   scope: CaseScope | None = None) -> pd.DataFrame:
    """Follow-up tasks not done, of the cases the reader may see, overdue first.

    Returns
    -------
    pandas.DataFrame
        The task's columns with the case's ``title`` and ``grid_code``, and
        ``overdue_days`` (negative while not yet due).
    """
    query = (sa.select(t.followups, t.cases.c.title.label("case_title"), t.cases.c.grid_code)
             .join(t.cases, t.cases.c.case_id == t.followups.c.case_id)
             .where(t.followups.c.done_at.is_(None), scope_clause(scope))
             .order_by(t.followups.c.due_at, t.followups.c.task_id))
    with reading(store.engine) as conn:
        rows = conn.execute(query).mappings().all()
    out = pd.DataFrame([dict(r) for r in rows])
    if out.empty:
        return out
    out["overdue_days"] = (pd.Timestamp(now) - pd.to_datetime(out["due_at"])).dt.days
    return out
