"""Mediation records after registration: experts, fulfilment, model cases, quality, material.

Writes, signed in and within the writer's jurisdiction as the case writes
(:mod:`api.routes.mediation`):

- ``POST /mediation/experts``: the county registers an expert (专家库);
  ``GET /mediation/experts`` lists the pool (names masked for non-desks).
- ``POST /mediation/cases/{case_id}/experts``: a desk records an expert's
  opinion on an open case (专家咨询).
- ``POST /mediation/cases/{case_id}/fulfilment``: a desk records whether an
  agreement was carried out (履行情况); not fully: a follow-up task.
- ``PUT`` / ``DELETE /mediation/cases/{case_id}/model``: the county marks an
  agreement a model case (典型案例) with its commentary, or unmarks it.
- ``POST /mediation/cases/{case_id}/assessments``: a township or county
  reviewer scores a closed case (质量评估); ``GET /mediation/quality`` sums
  the assessments up per organisation.
- ``POST /mediation/materials`` (township, county) and
  ``GET /mediation/materials?q=&kind=&tag=`` (everyone signed in): learning
  material (学习资料), found with the similar-case words.
- ``GET /mediation/registry?grid=``: the organisations serving a grid and
  their active mediators (the console's registration form).

A repeated write answers 200 with what was written first; a different one
where only one may stand answers 409 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import SignedIn
from api.errors import problem_responses
from api.models import to_cst_naive
from gridgis.errors import InputError
from gridgis.mediation import CaseNotFoundError, case_scope
from gridgis.mediation import tables as t
from gridgis.mediation.agreements import mark_model, record_fulfilment, unmark_model
from gridgis.mediation.experts import EXPERT_FIELDS, add_expert, consult, experts_as_seen
from gridgis.mediation.materials import add_material
from gridgis.mediation.names import (
    CRITERIA,
    FULFILMENT_NAMES,
    GRADE_NAMES,
    MATERIAL_KIND_NAMES,
    ORG_KIND_NAMES,
)
from gridgis.mediation.quality import assess, quality_by_organisation
from gridgis.mediation.service import MediationService
from gridgis.people.access import CALLBACK
from gridgis.store.reading import reading

__all__ = ["AssessmentIn", "ExpertIn", "FulfilmentIn", "MaterialIn", "ModelIn", "OpinionIn",
           "add_record_routes"]

CaseId = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]
Score = Annotated[int, Field(ge=0, le=100)]


def _mediation(request: Request) -> MediationService:
    from api.routes.mediation import get_mediation

    return get_mediation(request)


Mediation = Annotated[MediationService, Depends(_mediation)]


def _not_found(case_id: str) -> HTTPException:
    return HTTPException(404, f"没有案件 {case_id}，或不在您的辖区 / no case {case_id} in your "
                         "jurisdiction")


def _now(request: Request) -> dt.datetime:
    return to_cst_naive(request.app.state.dispatcher.clock())


def _plain(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
            for k, v in row.items()}


def _status(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200


class ExpertIn(BaseModel):
    """专家入库 / An expert for the pool."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"\S", description="姓名")
    field: Literal[EXPERT_FIELDS] = Field(description="专业领域 / field")  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=64, pattern=r"\S", description="职称 / title")
    employer: str = Field(min_length=1, max_length=128, pattern=r"\S", description="工作单位")
    phone: str | None = Field(None, pattern=r"^[0-9+\-]{5,20}$", description="联系电话")


class OpinionIn(BaseModel):
    """专家咨询 / An expert's opinion on a case."""

    model_config = ConfigDict(extra="forbid")

    expert_id: str = Field(min_length=1, max_length=32, description="专家编号（专家库）")
    opinion: Text = Field(description="专家意见 / the opinion")


class FulfilmentIn(BaseModel):
    """履行情况 / Whether an agreement was carried out, as checked on a day."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["fulfilled", "partial", "unfulfilled"] = Field(
        description="fulfilled 已履行 / partial 部分履行 / unfulfilled 未履行")
    checked_on: dt.date | None = Field(None, description="回访日期（默认今天）/ the day")
    note: Text = Field(description="情况说明 / a note")


class ModelIn(BaseModel):
    """典型案例 / The county's commentary on a model case."""

    model_config = ConfigDict(extra="forbid")

    commentary: str = Field(min_length=1, max_length=8000, pattern=r"\S",
                            description="案例评析 / the commentary")


class AssessmentIn(BaseModel):
    """质量评估 / A reviewer's scores (0–100) of a closed case."""

    model_config = ConfigDict(extra="forbid")

    procedure: Score = Field(description="程序规范 / procedure")
    legality: Score = Field(description="合法合规 / legality")
    satisfaction: Score = Field(description="当事人满意度 / the parties' satisfaction")
    fulfilment: Score | None = Field(None, description="协议履行（仅达成协议的案件）/ "
                                                       "fulfilment (agreements only)")
    note: str = Field("", max_length=4000, description="评估意见 / remarks")


class MaterialIn(BaseModel):
    """学习资料 / A law summary or training note (commentaries come with a model case)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["law", "training"] = Field(description="law 法律法规 / training 培训教材")
    title: str = Field(min_length=1, max_length=200, pattern=r"\S", description="标题")
    source: str = Field(min_length=1, max_length=200, pattern=r"\S",
                        description="出处（法条、讲义）/ source")
    body: str = Field(min_length=1, max_length=20000, pattern=r"\S", description="正文")
    tags: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20, description="标签：纠纷类型 M01–M10 或词语")


def experts(person: SignedIn, mediation: Mediation,
            field: Annotated[str | None, Query(max_length=16, description="专业领域")] = None
            ) -> dict[str, Any]:
    """专家库 / The expert pool (names and phones masked unless you are a mediation desk)."""
    scope = case_scope(person)
    return {"fields": list(EXPERT_FIELDS),
            "items": experts_as_seen(mediation.store, unmasked=scope.unmasked, field=field)}


def new_expert(person: SignedIn, mediation: Mediation, response: Response,
               body: ExpertIn) -> dict[str, Any]:
    """专家入库 / Register an expert (the county; 200 when registered before)."""
    row, created = add_expert(mediation.store, person, **body.model_dump())
    _status(response, created)
    return row


def opinion(person: SignedIn, mediation: Mediation, response: Response, case_id: CaseId,
            body: OpinionIn) -> dict[str, Any]:
    """专家咨询 / Record an expert's opinion on an open case of your area."""
    try:
        row, created = consult(mediation.store, person, case_scope(person), case_id,
                               expert_id=body.expert_id, opinion=body.opinion)
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    _status(response, created)
    return row


def fulfilment(person: SignedIn, mediation: Mediation, request: Request, response: Response,
               case_id: CaseId, body: FulfilmentIn) -> dict[str, Any]:
    """履行情况 / Record whether an agreement of your area was carried out.

    Not fully carried out: a follow-up task (督促履行) is set. The same check
    again (day and status) answers 200 with the one recorded.
    """
    now = _now(request)
    try:
        got, created = record_fulfilment(
            mediation.store, person, case_scope(person), case_id, status=body.status,
            on=body.checked_on or now.date(), note=body.note, at=now)
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    _status(response, created)
    return {"case_id": case_id, "fulfilment": got["fulfilment"],
            "fulfilment_name": FULFILMENT_NAMES[got["fulfilment"]],
            "check": _plain(got["check"]), "followup": _plain(got["followup"])}


def mark(person: SignedIn, mediation: Mediation, request: Request, case_id: CaseId,
         body: ModelIn) -> dict[str, Any]:
    """典型案例 / Mark an agreement a model case with your commentary (the county)."""
    try:
        material, changed = mark_model(mediation.store, person, case_scope(person), case_id,
                                       commentary=body.commentary, at=_now(request))
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    return {"case_id": case_id, "model_case": True, "changed": changed,
            "material": _plain(material)}


def unmark(person: SignedIn, mediation: Mediation, case_id: CaseId) -> dict[str, Any]:
    """撤销典型案例 / Unmark a model case, its commentary withdrawn (the county)."""
    try:
        changed = unmark_model(mediation.store, person, case_scope(person), case_id)
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    return {"case_id": case_id, "model_case": False, "changed": changed}


def assessment(person: SignedIn, mediation: Mediation, request: Request, response: Response,
               case_id: CaseId, body: AssessmentIn) -> dict[str, Any]:
    """质量评估 / Score a closed case of your area (township or county; once per reviewer)."""
    try:
        row, created = assess(mediation.store, person, case_scope(person), case_id,
                              **body.model_dump(), at=_now(request))
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    _status(response, created)
    return {**_plain(row), "grade_name": GRADE_NAMES[row["grade"]]}  # type: ignore[dict-item]


def quality(person: SignedIn, mediation: Mediation) -> dict[str, Any]:
    """调解质量 / The assessments per mediation organisation, of the cases you may read."""
    frame = quality_by_organisation(mediation.store, scope=case_scope(person))
    items = [] if frame.empty else frame.round(3).to_dict("records")
    for r in items:
        r["kind_name"] = ORG_KIND_NAMES.get(r["kind"], r["kind"])
    return {"criteria": {k: v[0] for k, v in CRITERIA.items()}, "items": items}


def materials(
    person: SignedIn, mediation: Mediation,
    q: Annotated[str | None, Query(max_length=500, description="关键词 / words")] = None,
    kind: Annotated[Literal["law", "training", "commentary"] | None,
                    Query(description="资料类别 / kind")] = None,
    tag: Annotated[str | None, Query(max_length=32, description="标签 / tag (M06 …)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """学习资料 / Laws, training notes and model-case commentaries, best match first."""
    case_scope(person)  # a disabled account reads nothing
    index = mediation.materials()
    hits = index.search((q or "").strip() or None, kind=kind, tag=tag, k=limit)
    rows = index.frame.set_index("material_id")
    items = []
    for h in hits:
        r = rows.loc[h.material_id]
        items.append({"material_id": h.material_id, "score": round(h.score, 4),
                      "kind": r["kind"], "kind_name": MATERIAL_KIND_NAMES[r["kind"]],
                      "title": r["title"], "source": r["source"], "body": r["body"],
                      "tags": [x for x in r["tags"].split(",") if x],
                      "case_id": r["case_id"] if isinstance(r["case_id"], str) else None,
                      "published_on": str(r["published_on"])})
    return {"query": q, "kind": kind, "tag": tag, "indexed": len(index), "items": items}


def new_material(person: SignedIn, mediation: Mediation, request: Request, response: Response,
                 body: MaterialIn) -> dict[str, Any]:
    """发布学习资料 / Add a law summary or training note (township, county)."""
    row, created = add_material(mediation.store, person, kind=body.kind, title=body.title,
                                source=body.source, body=body.body, tags=body.tags,
                                on=_now(request).date())
    _status(response, created)
    return _plain(row)  # type: ignore[return-value]


def registry(
    person: SignedIn, mediation: Mediation, request: Request,
    grid: Annotated[str, Query(pattern=r"^\d{15}$", description="网格编码 / grid")],
) -> dict[str, Any]:
    """调解组织和调解员 / The organisations serving a grid of your area, their active mediators."""
    scope = case_scope(person)
    if not any(grid.startswith(a) for a in scope.area_codes):
        raise InputError(f"grid: 网格 {grid} 不在您的辖区 / grid {grid} is outside your "
                         "jurisdiction", field="grid")
    prefixes = {grid[:n] for n in (6, 9, 12, 15)}
    with reading(mediation.store.engine) as conn:
        orgs = [dict(r) for r in conn.execute(sa.select(t.organisations).where(
            t.organisations.c.area_code.in_(prefixes)).order_by(
                sa.func.length(t.organisations.c.area_code).desc(),
                t.organisations.c.org_id)).mappings()]
        people = conn.execute(sa.select(
            t.mediators.c.mediator_id, t.mediators.c.name, t.mediators.c.org_id,
            t.mediators.c.qualification, t.mediators.c.specialities).where(
                t.mediators.c.org_id.in_([o["org_id"] for o in orgs]),
                t.mediators.c.active.is_(True)).order_by(t.mediators.c.mediator_id)
        ).mappings().all()
    for o in orgs:
        o["kind_name"] = ORG_KIND_NAMES.get(o["kind"], o["kind"])
        o["mediators"] = [dict(m) for m in people if m["org_id"] == o["org_id"]]
        if person.role not in CALLBACK:
            for m in o["mediators"]:
                m["name"] = m["name"][0] + "**"
    return {"grid": grid, "organisations": orgs}


def add_record_routes(router: APIRouter) -> None:
    """Add the routes of this module to the mediation router."""
    repeated = {200: {"description": "同一记录已写过：答复第一次的记录 / the same record was "
                                     "written before: the first one is answered"}}
    write = problem_responses(400, 401, 403, 404, 409, 413, 422, 503)
    created = write | repeated
    unowned = problem_responses(400, 401, 403, 409, 413, 422, 503) | repeated
    router.get("/mediation/experts", responses=problem_responses(401, 403, 422, 503))(experts)
    router.post("/mediation/experts", status_code=201, responses=unowned)(new_expert)
    router.post("/mediation/cases/{case_id}/experts", status_code=201,
                responses=created)(opinion)
    router.post("/mediation/cases/{case_id}/fulfilment", status_code=201,
                responses=created)(fulfilment)
    router.put("/mediation/cases/{case_id}/model", responses=write)(mark)
    router.delete("/mediation/cases/{case_id}/model",
                  responses=problem_responses(401, 403, 404, 422, 503))(unmark)
    router.post("/mediation/cases/{case_id}/assessments", status_code=201,
                responses=created)(assessment)
    router.get("/mediation/quality", responses=problem_responses(401, 403, 503))(quality)
    router.get("/mediation/materials",
               responses=problem_responses(401, 403, 422, 503))(materials)
    router.post("/mediation/materials", status_code=201, responses=unowned)(new_material)
    router.get("/mediation/registry", responses=problem_responses(401, 403, 422, 503))(registry)
