"""People's mediation (人民调解): similar cases (类案检索) and a case, within the reader's scope.

``GET /mediation/similar?q=…&type=&area=&from=&to=`` ranks the earlier cases
by BM25 over their Chinese words (jieba with the field's word list), model
cases (典型案例) first among equals; ``incident=`` takes the words and the
dispute type of an incident the reader may read instead (the console's
panel beside a dispute). ``GET /mediation/cases/{case_id}`` is one case with
its parties, masked unless the reader is a mediation desk. Reads follow the
incidents' jurisdiction; sensitive cases are for the county and the unit a
case was referred to. ``GET /mediation/warnings?month=YYYY-MM`` runs the
multi-dimension warning over the cases the reader may read.

Writes, by the mediation desks (community, township and county staff) within
their area (:mod:`gridgis.mediation.writes`): ``POST /mediation/cases``
registers a case (from an incident where ``incident_id`` is given; the same
``Idempotency-Key`` returns the case registered first),
``POST /mediation/cases/{case_id}/sessions`` records session ``seq`` (409
when taken) and ``POST /mediation/cases/{case_id}/outcome`` closes it once
(409 after): agreement with its terms, failed with its referral (follow-up
tasks set) or withdrawn.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import SignedIn
from api.errors import problem_responses
from api.models import CstIn, CstOut, to_cst_naive
from api.settings import Settings
from gridgis.errors import IncidentNotFoundError, InputError
from gridgis.mediation import CaseNotFoundError, case_scope
from gridgis.mediation.access import CaseScope, text_as_seen
from gridgis.mediation.names import DISPUTE_TYPES, FULFILMENT_NAMES, OUTCOME_NAMES
from gridgis.mediation.service import MediationService
from gridgis.mediation.writes import add_session, check_desk, close_case, register_case
from gridgis.people.access import in_scope

__all__ = ["AlertOut", "AlertPage", "CaseIn", "CaseOut", "OutcomeIn", "OutcomeOut", "SessionIn",
           "SessionOut", "SimilarCase",
           "SimilarPage", "create_router", "get_mediation"]

MAX_RESULTS = 50
CATEGORY_TYPE = {t.category: t.code for t in DISPUTE_TYPES.values() if t.category}
TypeCode = Annotated[str | None, Query(
    alias="type", pattern=r"^M\d{2}$", description="纠纷类型 M01–M10 / dispute type",
    examples=["M06"])]
AreaCode = Annotated[str | None, Query(
    pattern=r"^\d{6,15}$", description="区域编码前缀（乡镇、社区、网格）/ a township, "
    "community or grid code", examples=["330399001"])]


def get_mediation(request: Request) -> MediationService:
    """The service's mediation platform (made on first use, on the incidents' store)."""
    state = request.app.state
    service = getattr(state, "mediation", None)
    if service is None:
        service = state.mediation = MediationService(state.dispatcher.store.engine)
    return service


Mediation = Annotated[MediationService, Depends(get_mediation)]


class SimilarCase(BaseModel):
    """An earlier case like the one asked about."""

    case_id: str
    score: float = Field(description="BM25 相关度（典型案例已加权）/ relevance")
    dispute_type: str
    type_name: str
    title: str
    facts: str
    terms: str | None = Field(None, description="协议内容 / the agreement's terms")
    outcome: str | None
    outcome_name: str | None
    model_case: bool = Field(description="典型案例 / a model case")
    grid_code: str
    received_at: CstOut


class SimilarPage(BaseModel):
    """Similar cases, best first."""

    query: str
    dispute_type: str | None
    area: str | None
    indexed: int = Field(description="检索库中的案件数 / cases in the index")
    items: list[SimilarCase]


class PartyOut(BaseModel):
    """A party as the reader may see it."""

    side: str
    kind: str
    name: str | None
    phone: str | None
    masked: bool


class CaseOut(BaseModel):
    """One mediation case."""

    case_id: str
    incident_id: str | None
    dispute_type: str
    type_name: str
    title: str
    facts: str
    claim: str
    amount: float | None
    grid_code: str
    org_id: str
    mediator_id: str
    source: str
    respondent_kind: str
    received_at: CstOut
    closed_at: CstOut | None
    outcome: str | None
    outcome_name: str | None
    terms: str | None
    agreed_amount: float | None
    fulfilment: str | None
    fulfilment_name: str | None
    sensitive: bool
    model_case: bool
    parties: list[PartyOut]
    sessions: list[dict[str, Any]]
    experts: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    followups: list[dict[str, Any]]
    fulfilment_checks: list[dict[str, Any]] = Field([], description="履行回访 / checks")
    assessments: list[dict[str, Any]] = Field([], description="质量评估 / assessments")
    commentary: str | None = Field(None, description="典型案例评析 / a model case's commentary")


def _when(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return to_cst_naive(value)
    except (OverflowError, ValueError):
        raise InputError(f"{field}: 时间超出范围 / the time is out of range",
                         field=field) from None


def _item(index: Any, scope: CaseScope, case_id: str, score: float) -> SimilarCase:
    row = index.cases.iloc[index.row_of[case_id]]
    outcome = row["outcome"] if isinstance(row["outcome"], str) else None
    terms = row["terms"] if isinstance(row["terms"], str) else None
    return SimilarCase(
        case_id=case_id, score=round(score, 4), dispute_type=row["dispute_type"],
        type_name=DISPUTE_TYPES[row["dispute_type"]].name, title=row["title"],
        facts=text_as_seen(scope, row["facts"]) or "", terms=text_as_seen(scope, terms),
        outcome=outcome, outcome_name=OUTCOME_NAMES.get(outcome) if outcome else None,
        model_case=bool(row["model_case"]), grid_code=row["grid_code"],
        received_at=row["received_at"].to_pydatetime())


def similar(
    person: SignedIn,
    mediation: Mediation,
    request: Request,
    q: Annotated[str | None, Query(min_length=1, max_length=500,
                                   description="关键词或案情 / keywords or the facts")] = None,
    incident: Annotated[str | None, Query(min_length=1, max_length=64,
                                          description="以该事件的描述和类别检索 / search with "
                                                      "this incident's description")] = None,
    dispute_type: TypeCode = None,
    area: AreaCode = None,
    start: Annotated[dt.datetime | None, Query(alias="from", description="受理时间起 / "
                                               "received from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to", description="受理时间止（不含）/ "
                                             "received before")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="条数 / results")] = 10,
) -> SimilarPage:
    """类案检索 / Earlier mediation cases like these words or this incident, best first.

    422 when neither ``q`` nor ``incident`` is given, the type is unknown or
    ``to`` comes before ``from``; 404 for an incident the reader may not read.
    """
    scope = case_scope(person)
    if dispute_type is not None and dispute_type not in DISPUTE_TYPES:
        raise InputError(f"type: 没有纠纷类型 {dispute_type}（M01–M10）/ no dispute type "
                         f"{dispute_type}", field="type")
    start, end = _when(start, "from"), _when(end, "to")
    if start is not None and end is not None and end <= start:
        raise InputError("to: 截止时间须晚于起始时间 / 'to' must come after 'from'", field="to")
    query = (q or "").strip()
    if incident is not None:
        try:
            record = request.app.state.dispatcher.store.get(incident)
        except IncidentNotFoundError:
            record = None
        if record is None or not in_scope(person, record):
            raise HTTPException(404, f"没有事件 {incident}，或不在您的辖区 / no incident "
                                f"{incident} in your jurisdiction")
        query = f"{query} {record.get('description') or ''}".strip()
        dispute_type = dispute_type or CATEGORY_TYPE.get(record.get("category"))
    if not query:
        raise InputError("q: 请输入关键词，或给出事件编号 incident / give keywords (q) or an "
                         "incident", field="q")
    index = mediation.index()
    hits = index.search(query, k=limit, scope=scope, dispute_type=dispute_type, area=area,
                        start=start, end=end)
    return SimilarPage(query=query, dispute_type=dispute_type, area=area, indexed=len(index),
                       items=[_item(index, scope, h.case_id, h.score) for h in hits])


CaseId = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def case(person: SignedIn, mediation: Mediation, case_id: CaseId) -> CaseOut:
    """调解案件 / One mediation case, its parties as you may see them (404 outside your scope)."""
    scope = case_scope(person)
    try:
        row = mediation.store.case(case_id, scope=scope)
    except CaseNotFoundError:
        raise HTTPException(404, f"没有案件 {case_id}，或不在您的辖区 / no case {case_id} in "
                            "your jurisdiction") from None
    outcome, fulfilment = row.get("outcome"), row.get("fulfilment")
    return CaseOut(**row, type_name=DISPUTE_TYPES[row["dispute_type"]].name,
                   outcome_name=OUTCOME_NAMES.get(outcome) if outcome else None,
                   fulfilment_name=FULFILMENT_NAMES.get(fulfilment) if fulfilment else None)


class AlertOut(BaseModel):
    """One alert of the multi-dimension warning."""

    dimension: str = Field(description="area_type 区域×类型 / respondent_type 当事人类别×类型 / "
                                       "large_amount 大额 / organisation 调解组织")
    key: str
    dispute_type: str | None
    area_code: str | None
    month: str
    observed: int
    expected: float
    ratio: float
    same_month_last_year: int | None
    test: str
    p_value: float
    p_adjusted: float = Field(description="Benjamini–Hochberg 校正后 / BH-adjusted")
    authority: str = Field(description="通报对象 / the authority addressed")
    notice: str


class AlertPage(BaseModel):
    """The alerts of a month among the cases the reader may read."""

    month: str
    cells: int = Field(description="检验的单元数 / cells tested")
    alerts: list[AlertOut]


def warnings(
    person: SignedIn,
    mediation: Mediation,
    request: Request,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                       description="月份 YYYY-MM（默认上月）/ the month "
                                                   "(default: last month)")] = None,
) -> AlertPage:
    """多维预警 / The alerts of a month, over the cases of your jurisdiction."""
    import pandas as pd

    from gridgis.mediation.warning import warn

    if month is None:
        now = request.app.state.dispatcher.clock()
        month = str(pd.Period(now, freq="M") - 1)
    cases = mediation.store.cases(scope=case_scope(person))
    if cases.empty:
        return AlertPage(month=month, cells=0, alerts=[])
    got = warn(cases, month)
    if got.empty:
        return AlertPage(month=month, cells=0, alerts=[])
    shown = got[got["alert"]].astype(object).where(got[got["alert"]].notna(), None)
    return AlertPage(month=month, cells=len(got),
                     alerts=[AlertOut(**r) for r in shown.to_dict("records")])


Text = Annotated[str, Field(min_length=1, max_length=4000)]


class PartyIn(BaseModel):
    """A party (当事人): a person or an organisation."""

    model_config = ConfigDict(extra="forbid")

    side: Literal["applicant", "respondent"] = Field(description="申请人 / 被申请人")
    kind: Literal["person", "hospital", "employer", "property_company", "merchant", "insurer",
                  "village_collective"] = Field(description="当事人类别 / party kind")
    name: str = Field(min_length=1, max_length=128, pattern=r"\S",
                      description="姓名或名称 / name")
    phone: str | None = Field(None, pattern=r"^[0-9+\-]{5,20}$", description="联系电话")


class CaseIn(BaseModel):
    """受理登记 / A case registered at a desk (the grid is the incident's when one is named)."""

    model_config = ConfigDict(extra="forbid")

    incident_id: str | None = Field(None, min_length=1, max_length=32,
                                    description="来源事件编号 / the incident it came from")
    grid_code: str | None = Field(None, pattern=r"^\d{15}$", description="网格编码 / grid")
    dispute_type: str | None = Field(None, pattern=r"^M\d{2}$",
                                     description="纠纷类型 M01–M10（默认按事件类别）")
    title: str = Field(min_length=1, max_length=200, pattern=r"\S", description="案由 / title")
    facts: str | None = Field(None, min_length=1, max_length=4000,
                              description="纠纷事实（默认事件描述）/ the facts")
    claim: Text = Field(description="申请人诉求 / the claim")
    amount: float | None = Field(None, ge=0, le=1e10, description="争议金额（元）")
    org_id: str = Field(min_length=1, max_length=32, description="调解组织（名录）")
    mediator_id: str = Field(min_length=1, max_length=32, description="调解员（名录）")
    source: Literal["walk_in", "hotline", "court"] = Field(
        "walk_in", description="来源（有事件时为 incident）/ source")
    parties: list[PartyIn] = Field(min_length=2, max_length=20)
    idempotency_key: str | None = Field(None, min_length=1, max_length=128)


class SessionIn(BaseModel):
    """调解过程: session ``seq`` (the next number) with its note."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, le=1000, description="第几次调解（下一次的序号）/ the session's "
                                                "number, the next one")
    note: Text = Field(description="调解记录 / the session's note")
    held_at: CstIn | None = Field(None, description="调解时间（默认现在）/ when")
    mediator_id: str | None = Field(None, min_length=1, max_length=32)


class OutcomeIn(BaseModel):
    """结案: agreement with its terms, failed with its referral, or withdrawn."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["agreement", "failed", "withdrawn"] = Field(
        description="agreement 调解成功 / failed 调解不成 / withdrawn 撤回")
    terms: str | None = Field(None, min_length=1, max_length=4000, description="协议内容")
    agreed_amount: float | None = Field(None, ge=0, le=1e10, description="协议金额（元）")
    fulfilment: Literal["fulfilled", "partial", "unfulfilled", "pending"] | None = None
    to: Literal["court", "petition", "arbitration"] | None = Field(
        None, description="移交去向 / referred to (failed)")
    to_unit: str | None = Field(None, min_length=1, max_length=64)
    reason: str | None = Field(None, min_length=1, max_length=4000,
                               description="调解不成或撤回的原因 / why")


class SessionOut(BaseModel):
    """A session as recorded."""

    case_id: str
    seq: int
    held_at: CstOut
    mediator_id: str
    note: str


class OutcomeOut(BaseModel):
    """The outcome written, the referral and follow-up tasks of a failure."""

    case_id: str
    outcome: str
    outcome_name: str
    referral: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = []


def _not_found(case_id: str) -> HTTPException:
    return HTTPException(404, f"没有案件 {case_id}，或不在您的辖区 / no case {case_id} in your "
                         "jurisdiction")


def _now(request: Request) -> dt.datetime:
    return to_cst_naive(request.app.state.dispatcher.clock())


def register(
    person: SignedIn,
    mediation: Mediation,
    request: Request,
    response: Response,
    body: CaseIn,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """受理登记 / Register a case in a grid of your area (mediation desks only).

    201 when registered, 200 with the same case when registered before under
    the same idempotency key (or, without one, the same body); 403 for a grid
    outside your area or a reader who is not a desk; 404 for an incident you
    may not read; 422 for an unknown type, organisation or mediator.
    """
    import hashlib

    check_desk(person)
    dispute_type, facts, grid, source = body.dispute_type, body.facts, body.grid_code, body.source
    if body.incident_id is not None:
        try:
            record = request.app.state.dispatcher.store.get(body.incident_id)
        except IncidentNotFoundError:
            record = None
        if record is None or not in_scope(person, record):
            raise HTTPException(404, f"没有事件 {body.incident_id}，或不在您的辖区 / no incident "
                                f"{body.incident_id} in your jurisdiction")
        grid, source = record.get("grid_code"), "incident"
        dispute_type = dispute_type or CATEGORY_TYPE.get(record.get("category"))
        facts = facts or record.get("description")
    if not grid:
        raise InputError("grid_code: 请给出网格编码或来源事件 / give the grid or the incident",
                         field="grid_code")
    if dispute_type is None:
        raise InputError("dispute_type: 请给出纠纷类型 / give the dispute type",
                         field="dispute_type")
    if not (facts or "").strip():
        raise InputError("facts: 请填写纠纷事实 / give the facts", field="facts")
    grids = request.app.state.dispatcher.layers.grids
    if grid not in set(grids["code"]):
        raise InputError(f"grid_code: 没有网格 {grid} / no grid {grid}", field="grid_code")
    key = body.idempotency_key or idempotency_key or hashlib.sha256(
        body.model_dump_json(exclude={"idempotency_key"}).encode()).hexdigest()
    case_id, created = register_case(
        mediation.store, person, key=key, at=_now(request), grid_code=grid,
        dispute_type=dispute_type, title=body.title.strip(), facts=facts.strip(),
        claim=body.claim.strip(), org_id=body.org_id, mediator_id=body.mediator_id,
        parties=[p.model_dump() for p in body.parties], amount=body.amount,
        incident_id=body.incident_id, source=source)
    response.status_code = 201 if created else 200
    return case(person, mediation, case_id)


def session(person: SignedIn, mediation: Mediation, request: Request, case_id: CaseId,
            body: SessionIn) -> SessionOut:
    """调解过程 / Record session ``seq`` of an open case of your area (409 when taken)."""
    now = _now(request)
    held = body.held_at or now
    if held > now:
        raise InputError("held_at: 调解时间不能晚于现在 / the session is in the future",
                         field="held_at")
    try:
        row = add_session(mediation.store, person, case_scope(person), case_id, seq=body.seq,
                          note=body.note.strip() or body.note, at=held,
                          mediator_id=body.mediator_id)
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    return SessionOut(**row)


def outcome(person: SignedIn, mediation: Mediation, request: Request, case_id: CaseId,
            body: OutcomeIn) -> OutcomeOut:
    """结案 / Close an open case of your area once: agreement, failed (referred) or withdrawn.

    A failure is referred (court, petition office, arbitration) and its
    follow-up tasks are set; a referral to the petition office marks the case
    sensitive. 409 when the case is closed already.
    """
    try:
        got = close_case(mediation.store, person, case_scope(person), case_id,
                         outcome=body.outcome, at=_now(request), terms=body.terms,
                         agreed_amount=body.agreed_amount, fulfilment=body.fulfilment,
                         to=body.to, to_unit=body.to_unit, reason=body.reason)
    except CaseNotFoundError:
        raise _not_found(case_id) from None

    def plain(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}

    return OutcomeOut(case_id=case_id, outcome=got["outcome"],
                      outcome_name=OUTCOME_NAMES[got["outcome"]],
                      referral=plain(got["referral"]) if "referral" in got else None,
                      followups=[plain(f) for f in got.get("followups", [])])


def create_router(settings: Settings) -> APIRouter:
    """The mediation routes."""
    router = APIRouter(tags=["mediation"])
    # outside one's jurisdiction a case or an incident is not found (404): never 403
    router.get("/mediation/similar", response_model=SimilarPage,
               responses=problem_responses(401, 404, 422, 503))(similar)
    router.get("/mediation/cases/{case_id}", response_model=CaseOut,
               responses=problem_responses(401, 404, 422, 503))(case)
    router.get("/mediation/warnings", response_model=AlertPage,
               responses=problem_responses(401, 422, 503))(warnings)
    router.post("/mediation/cases", response_model=CaseOut, status_code=201,
                responses=problem_responses(400, 401, 403, 404, 413, 422, 503))(register)
    router.post("/mediation/cases/{case_id}/sessions", response_model=SessionOut,
                status_code=201,
                responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503))(session)
    router.post("/mediation/cases/{case_id}/outcome", response_model=OutcomeOut,
                responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503))(outcome)
    from api.routes.mediation_records import add_record_routes

    add_record_routes(router)  # experts, fulfilment, model cases, quality, material
    return router
