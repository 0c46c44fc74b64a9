"""Writing mediation cases by the mediation desks: register, sessions, outcome.

Only the mediation desks write (community, township and county staff,
:data:`~gridgis.people.access.CALLBACK`), each within their area: a case is
registered in a grid of the desk's area, with an organisation serving that
grid and one of its active mediators (both checked in the registries).
Sessions and the outcome are written only to an open case the desk may read
(else it is not found: existence is not disclosed). A double submit does no
harm: a case registered again under the same idempotency key is the case
registered first, a session names its number (``seq``, 409 when taken) and
an outcome is written once (409 when the case is already closed). A failure
goes through :func:`~gridgis.mediation.followup.record_failure`, so its
referral and follow-up tasks are set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from gridgis.errors import AccessDeniedError, InputError
from gridgis.mediation import tables as t
from gridgis.mediation.access import CaseScope
from gridgis.mediation.followup import record_failure
from gridgis.mediation.names import DISPUTE_TYPES, Fulfilment, Outcome, PartyKind
from gridgis.mediation.store import CaseNotFoundError, MediationStore, conflict, scope_clause
from gridgis.people.access import CALLBACK
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["add_session", "case_id_for", "check_desk", "close_case", "register_case"]


def check_desk(person: StaffMember) -> None:
    """Refuse anyone but an active mediation desk (community, township, county staff).

    Raises
    ------
    AccessDeniedError
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role not in CALLBACK or not person.area_code:
        raise AccessDeniedError("仅社区、乡镇（街道）和县级调解窗口可登记调解案件 / only the "
                                "community, township and county mediation desks write cases")


def case_id_for(person: StaffMember, key: str, at: dt.datetime) -> str:
    """The case id of a registration: the same for the same desk and idempotency key."""
    digest = hashlib.sha256(f"{person.staff_id}\n{key}".encode()).hexdigest()[:14].upper()
    return f"TJ{at:%Y}W{digest}"


def _one(conn: sa.Connection, table: sa.Table, key: str, value: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(table).where(table.c[key] == value)).mappings().first()
    return None if row is None else dict(row)


def register_case(store: MediationStore, person: StaffMember, *, key: str, at: dt.datetime,
                  grid_code: str, dispute_type: str, title: str, facts: str, claim: str,
                  org_id: str, mediator_id: str, parties: Sequence[Mapping[str, Any]],
                  amount: float | None = None, incident_id: str | None = None,
                  source: str = "walk_in") -> tuple[str, bool]:
    """Register a case (受理登记) in a grid of the desk's area.

    Parameters
    ----------
    store : MediationStore
    person : StaffMember
        The desk registering it (see :func:`check_desk`).
    key : str
        Idempotency key: registering again with it returns the first case.
    at : datetime
        When it is received (naive China time).
    grid_code, dispute_type, title, facts, claim, org_id, mediator_id : str
    parties : sequence of mapping
        ``side`` (applicant/respondent), ``kind`` (:class:`PartyKind`),
        ``name``, ``phone``; at least one of each side.
    amount : float, optional
        The amount at stake (元).
    incident_id : str, optional
        The incident the case came from (its grid is the case's).
    source : str
        ``incident``, ``walk_in``, ``hotline`` or ``court``.

    Returns
    -------
    (str, bool)
        The case id and whether it was created now (False: registered before).

    Raises
    ------
    AccessDeniedError
        Not a desk, or a grid outside the desk's area.
    InputError
        An unknown type, organisation or mediator, or parties missing a side.
    """
    check_desk(person)
    if not grid_code.startswith(person.area_code or "\0"):
        raise AccessDeniedError(f"网格 {grid_code} 不在您的辖区 / grid {grid_code} is outside "
                                "your jurisdiction")
    if dispute_type not in DISPUTE_TYPES:
        raise InputError(f"dispute_type: 没有纠纷类型 {dispute_type}（M01–M10）/ no dispute "
                         f"type {dispute_type}", field="dispute_type")
    sides = {p["side"] for p in parties}
    if sides != {"applicant", "respondent"}:
        raise InputError("parties: 须有申请人和被申请人各至少一方 / give at least one applicant "
                         "and one respondent", field="parties")
    for p in parties:
        if p["kind"] not in set(PartyKind):
            raise InputError(f"parties: 没有当事人类别 {p['kind']} / no party kind {p['kind']}",
                             field="parties")
    case_id = case_id_for(person, key, at)
    respondent = next(p for p in parties if p["side"] == "respondent")
    with store.engine.begin() as conn:
        if _one(conn, t.cases, "case_id", case_id) is not None:
            return case_id, False
        org = _one(conn, t.organisations, "org_id", org_id)
        if org is None:
            raise InputError(f"org_id: 调解组织名录中没有 {org_id} / no mediation organisation "
                             f"{org_id}", field="org_id")
        if not grid_code.startswith(org["area_code"]):
            raise InputError(f"org_id: {org['name']}不受理网格 {grid_code} 的纠纷 / the "
                             "organisation does not serve this grid", field="org_id")
        mediator = _one(conn, t.mediators, "mediator_id", mediator_id)
        if mediator is None or mediator["org_id"] != org_id or not mediator["active"]:
            raise InputError(f"mediator_id: {org['name']}没有在册调解员 {mediator_id} / no "
                             f"active mediator {mediator_id} in that organisation",
                             field="mediator_id")
        conn.execute(sa.insert(t.cases).values(
            case_id=case_id, incident_id=incident_id, dispute_type=dispute_type, title=title,
            facts=facts, claim=claim, amount=amount, grid_code=grid_code, org_id=org_id,
            mediator_id=mediator_id, source=source, respondent_kind=respondent["kind"],
            received_at=at, closed_at=None, outcome=None, terms=None, agreed_amount=None,
            fulfilment=None, sensitive=False, model_case=False, recorded_by=person.staff_id))
        conn.execute(sa.insert(t.parties), [
            {"case_id": case_id, "side": p["side"], "kind": p["kind"], "name": p["name"],
             "phone": p.get("phone")} for p in parties])
    return case_id, True


def _open_case(store: MediationStore, person: StaffMember, scope: CaseScope,
               case_id: str, conn: sa.Connection | None = None) -> dict[str, Any]:
    """The open case ``case_id`` the desk may read (read in ``conn`` when given)."""
    check_desk(person)
    query = sa.select(t.cases).where(t.cases.c.case_id == case_id, scope_clause(scope))
    if conn is None:
        with reading(store.engine) as reader:
            row = reader.execute(query).mappings().first()
    else:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise CaseNotFoundError(case_id)
    if row["outcome"] is not None:
        raise conflict(f"案件 {case_id} 已结案，不能再记录 / case {case_id} is closed",
                       "case_id")
    return dict(row)


def add_session(store: MediationStore, person: StaffMember, scope: CaseScope, case_id: str, *,
                seq: int, note: str, at: dt.datetime, mediator_id: str | None = None
                ) -> dict[str, Any]:
    """Record a mediation session (调解过程) of an open case, numbered ``seq``.

    Raises
    ------
    CaseNotFoundError
        No such case the desk may read.
    ConflictError
        The case is closed, or session ``seq`` is recorded already / not next.
    InputError
        The time is before the case was received, or the mediator is not on the case's
        organisation.
    """
    check_desk(person)
    # one write transaction: the store's write lock (BEGIN IMMEDIATE on SQLite, the advisory
    # lock on PostGIS) queues writers, so the case is still open and ``seq`` still free when
    # written; the unique (case_id, seq) index stops a writer that bypasses the lock
    try:
        with store.engine.begin() as conn:
            row = _open_case(store, person, scope, case_id, conn)
            if at < row["received_at"]:
                raise InputError("held_at: 调解时间早于受理时间 / the session is before the "
                                 "case was received", field="held_at")
            mediator_id = mediator_id or row["mediator_id"]
            mediator = _one(conn, t.mediators, "mediator_id", mediator_id)
            if mediator is None or mediator["org_id"] != row["org_id"]:
                raise InputError(f"mediator_id: 案件所属调解组织没有调解员 {mediator_id} / no "
                                 "mediator of the case's organisation", field="mediator_id")
            last = conn.execute(sa.select(sa.func.max(t.sessions.c.seq)).where(
                t.sessions.c.case_id == case_id)).scalar_one() or 0
            if seq != last + 1:
                raise conflict(f"seq: 第 {seq} 次调解不是下一次（已记录 {last} 次）/ session "
                               f"{seq} is not the next ({last} recorded)", "seq")
            session = {"case_id": case_id, "seq": seq, "held_at": at,
                       "mediator_id": mediator_id, "note": note}
            conn.execute(sa.insert(t.sessions).values(**session))
    except sa.exc.IntegrityError:
        raise conflict(f"seq: 第 {seq} 次调解已被记录 / session {seq} is recorded already",
                       "seq") from None
    return session


def close_case(store: MediationStore, person: StaffMember, scope: CaseScope, case_id: str, *,
               outcome: str, at: dt.datetime, terms: str | None = None,
               agreed_amount: float | None = None, fulfilment: str | None = None,
               to: str | None = None, to_unit: str | None = None, reason: str | None = None
               ) -> dict[str, Any]:
    """Write the outcome of an open case once: agreement, failed (referred) or withdrawn.

    Returns
    -------
    dict
        ``outcome``, and for a failure the ``referral`` and ``followups`` written.

    Raises
    ------
    CaseNotFoundError
    ConflictError
        The case is closed already.
    InputError
        Missing terms of an agreement, referral or reason of a failure.
    """
    row = _open_case(store, person, scope, case_id)
    if at < row["received_at"]:
        raise InputError("at: 结案时间早于受理时间 / closed before it was received", field="at")
    kind = Outcome(outcome)
    if kind is Outcome.FAILED:
        if not to:
            raise InputError("to: 调解不成须移交法院、信访或仲裁 / refer a failure to court, "
                             "petition or arbitration", field="to")
        got = record_failure(store, case_id, to=to, reason=reason or "", by=person.staff_id,
                             at=at, to_unit=to_unit, only_open=True)
        return {"outcome": kind.value, **got}
    values: dict[str, Any] = {"outcome": kind.value, "closed_at": at}
    if kind is Outcome.AGREEMENT:
        if not (terms or "").strip():
            raise InputError("terms: 请填写协议内容 / give the agreement's terms", field="terms")
        values.update(terms=terms.strip() if terms else None, agreed_amount=agreed_amount,
                      fulfilment=Fulfilment(fulfilment or "pending").value)
    with store.engine.begin() as conn:
        done = conn.execute(sa.update(t.cases).where(
            t.cases.c.case_id == case_id, t.cases.c.outcome.is_(None)).values(**values))
        if done.rowcount == 0:
            raise conflict(f"案件 {case_id} 已结案 / case {case_id} is closed", "case_id")
        # the terms are searched: the case's words are segmented again
        conn.execute(sa.delete(t.case_words).where(t.case_words.c.case_id == case_id))
        if kind is Outcome.WITHDRAWN and (reason or "").strip():
            last = conn.execute(sa.select(sa.func.max(t.sessions.c.seq)).where(
                t.sessions.c.case_id == case_id)).scalar_one() or 0
            conn.execute(sa.insert(t.sessions).values(
                case_id=case_id, seq=last + 1, held_at=at, mediator_id=row["mediator_id"],
                note=f"申请人撤回：{reason.strip()}"))
    return {"outcome": kind.value}
