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
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from api.auth import SignedIn
from api.errors import problem_responses
from api.models import CstOut, to_cst_naive
from api.settings import Settings
from gridgis.errors import IncidentNotFoundError, InputError
from gridgis.mediation import CaseNotFoundError, case_scope
from gridgis.mediation.access import CaseScope, text_as_seen
from gridgis.mediation.names import DISPUTE_TYPES, FULFILMENT_NAMES, OUTCOME_NAMES
from gridgis.mediation.service import MediationService
from gridgis.people.access import in_scope

__all__ = ["AlertOut", "AlertPage", "CaseOut", "SimilarCase", "SimilarPage", "create_router",
           "get_mediation"]

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


def case(
    person: SignedIn,
    mediation: Mediation,
    case_id: Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")],
) -> CaseOut:
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
    return router
