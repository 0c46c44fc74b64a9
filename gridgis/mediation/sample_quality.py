"""The sample's fulfilment checks, quality assessments and learning material.

Written after the cases with a random stream of their own, so adding them
changed none of the cases. An agreement past its time to pay has one
fulfilment check (履行回访) matching its ``fulfilment``; about a quarter of
the closed cases are assessed by their township's reviewer (the county's
for the district's professional committees), scores drawn around the
outcome (a failed mediation satisfies the parties less, an unfulfilled
agreement scores low on fulfilment); the material is the law summaries and
training notes of :mod:`gridgis.mediation._material_templates` and a
commentary on every model case.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd

from gridgis.mediation._material_templates import COMMENTARY, LAWS, LESSONS, TRAINING
from gridgis.mediation.materials import material_id_for
from gridgis.mediation.names import DISPUTE_TYPES
from gridgis.mediation.quality import grade_of, total_of

__all__ = ["sample_assessments", "sample_fulfilments", "sample_materials"]

FULFILMENT_NOTES = {"fulfilled": ("回访确认已按协议足额履行", "当事人确认款项已到账",
                                  "现场查看整改已完成"),
                    "partial": ("被申请人已支付部分款项，余款约定分期", "整改尚未全部完成"),
                    "unfulfilled": ("被申请人未按期履行，申请人要求督促",
                                    "被申请人失联，协议未履行")}
FULFILMENT_SCORE = {"fulfilled": (85, 100), "partial": (50, 75), "unfulfilled": (10, 40)}
SATISFACTION = {"agreement": (75, 100), "withdrawn": (60, 90), "failed": (35, 75)}
ASSESSMENT_NOTES = ("卷宗材料齐全，程序规范", "调解记录较简略，建议补充当事人陈述",
                    "协议条款明确具体", "释法说理充分", "未及时回访，需加强跟踪")


def sample_fulfilments(cases: pd.DataFrame, *, seed: int = 2026) -> pd.DataFrame:
    """One fulfilment check of each agreement whose fulfilment is known."""
    rnd = random.Random(seed * 31 + 181)
    done = cases[(cases["outcome"] == "agreement") & cases["fulfilment"].isin(
        list(FULFILMENT_NOTES))]
    rows = []
    for case_id, status, closed in zip(done["case_id"], done["fulfilment"], done["closed_at"],
                                       strict=True):
        when = pd.Timestamp(closed).to_pydatetime() + dt.timedelta(days=rnd.randrange(15, 30))
        rows.append({"case_id": case_id, "status": status, "checked_on": when.date(),
                     "note": rnd.choice(FULFILMENT_NOTES[status]), "recorded_by": "sample",
                     "recorded_at": when})
    return pd.DataFrame(rows)


def sample_assessments(cases: pd.DataFrame, organisations: pd.DataFrame, *,
                       seed: int = 2026, share: float = 0.25) -> pd.DataFrame:
    """Assessments of about ``share`` of the closed cases, by their township or the county."""
    rnd = random.Random(seed * 31 + 182)
    kinds = dict(zip(organisations["org_id"], organisations["kind"], strict=True))
    rows: list[dict[str, Any]] = []
    for r in cases[cases["outcome"].notna()].itertuples():
        if rnd.random() >= share:
            continue
        county = kinds.get(r.org_id) == "professional"
        reviewer = f"qx{r.grid_code[:6]}" if county else f"jd{r.grid_code[:9]}"
        # a committee mediates less by the book than a township centre
        base = 70 if kinds.get(r.org_id) in ("village", "community") else 78

        def draw(lo: float, hi: float) -> int:
            return max(0, min(100, round(rnd.uniform(lo, hi))))

        scores = {"procedure": draw(base, 100), "legality": draw(base + 5, 100),
                  "satisfaction": draw(*SATISFACTION[r.outcome]),
                  "fulfilment": draw(*FULFILMENT_SCORE[r.fulfilment])
                  if r.fulfilment in FULFILMENT_SCORE else None}
        total = total_of(scores)
        at = pd.Timestamp(r.closed_at).to_pydatetime() + dt.timedelta(days=rnd.randrange(30, 60))
        rows.append({"case_id": r.case_id, **scores, "total": total,
                     "grade": grade_of(total).value, "note": rnd.choice(ASSESSMENT_NOTES),
                     "assessor": reviewer,
                     "assessor_name": "县司法局评查组" if county else "司法所评查员",
                     "assessed_at": at})
    out = pd.DataFrame(rows)
    if len(out):  # whole numbers with gaps, as the table's integer column holds them
        out["fulfilment"] = out["fulfilment"].astype("Int64")
    return out


def sample_materials(cases: pd.DataFrame, organisations: pd.DataFrame, sessions: pd.DataFrame,
                     *, seed: int = 2026) -> pd.DataFrame:
    """Law summaries, training notes and a commentary on each model case."""
    rnd = random.Random(seed * 31 + 183)
    first = pd.Timestamp(cases["received_at"].min()).date()
    rows: list[dict[str, Any]] = []

    def add(kind: str, title: str, source: str, body: str, tags: str, on: dt.date,
            case_id: str | None = None) -> None:
        rows.append({"material_id": material_id_for(kind, title, source), "kind": kind,
                     "title": title, "source": source, "body": body, "tags": tags,
                     "case_id": case_id, "published_on": on, "recorded_by": "sample",
                     "revision": 1})

    for title, source, body, tags in LAWS:
        add("law", title, source, body, tags, first)
    for i, (code, points) in enumerate(TRAINING.items()):
        name = DISPUTE_TYPES[code].name
        body = "；".join(f"{j + 1}. {p}" for j, p in enumerate(points)) + "。"
        add("training", f"{name}调解要点", f"区司法局人民调解员培训讲义（第{i + 1}讲）",
            f"{name}的调解要点：{body}", f"{code},{name},调解技巧",
            first + dt.timedelta(days=30 * i))
    names = dict(zip(organisations["org_id"], organisations["name"], strict=True))
    counts = sessions.groupby("case_id").size().to_dict() if len(sessions) else {}
    for r in cases[cases["model_case"].astype(bool)].itertuples():
        type_name = DISPUTE_TYPES[r.dispute_type].name
        lesson, lesson2 = rnd.sample(LESSONS, 2)
        body = COMMENTARY.format(facts=r.facts, type_name=type_name, org=names[r.org_id],
                                 sessions=counts.get(r.case_id, 1), terms=r.terms or "",
                                 lesson=lesson, lesson2=lesson2)
        on = (pd.Timestamp(r.closed_at) + pd.Timedelta(days=rnd.randrange(20, 90))).date()
        add("commentary", f"典型案例：{r.title}"[:200], f"区人民调解典型案例（{r.case_id}）", body,
            f"{r.dispute_type},{type_name},典型案例", on, case_id=r.case_id)
    return pd.DataFrame(rows)
