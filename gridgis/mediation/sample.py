"""Three years of mediation cases for the sample district, written from templates.

:func:`sample_mediation` makes the registries (a people's mediation committee
in every community, a 矛盾纠纷调处化解中心 in every township, the district's
professional committees for medical, labour, traffic, property and consumer
disputes, their mediators and an expert pool) and about 2,000 cases a year
with Chinese texts from :mod:`gridgis.mediation._templates`, then their
fulfilment checks, quality assessments and learning material
(:mod:`gridgis.mediation.sample_quality`). Medical disputes
rise in one township from the second year (a hospital's surgical department)
until a warning is sent to the health authority, then fall back by about 40 %.
Names are invented (surname + 某 in the texts, as published cases write them).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridgis.mediation._templates import SCENARIOS, Scenario
from gridgis.mediation.names import DISPUTE_TYPES
from gridgis.mediation.sample_quality import (
    sample_assessments,
    sample_fulfilments,
    sample_materials,
)

__all__ = ["MEDICAL_SURGE", "SAMPLE_MONTHS", "MediationSample", "sample_mediation"]

SAMPLE_FIRST_MONTH = dt.date(2023, 11, 1)
SAMPLE_MONTHS = 36
"""Months of cases: 2023-11 to 2026-10 (the incidents' year is the last of them)."""
MEDICAL_SURGE = {"first_month": "2024-11", "peak_month": "2025-04", "warned_month": "2025-07",
                 "peak": 3.2, "after": 0.5}
"""The planted medical-dispute rise in one township: it starts, reaches ``peak`` × the
township's usual rate, stays there until the warning, then settles within half a year at
``after`` × the peak."""
SHARES = {"M01": .21, "M02": .11, "M03": .08, "M04": .13, "M05": .09, "M06": .07,
          "M07": .11, "M08": .09, "M09": .07, "M10": .04}
SUCCESS = {"M01": .93, "M02": .86, "M03": .84, "M04": .88, "M05": .9, "M06": .78, "M07": .92,
           "M08": .9, "M09": .8, "M10": .92}
PROFESSIONAL = {"M06": ("医疗纠纷人民调解委员会", .85), "M04": ("劳动争议人民调解委员会", .45),
                "M07": ("道路交通事故纠纷人民调解委员会", .7),
                "M05": ("物业纠纷人民调解委员会", .35), "M08": ("消费纠纷人民调解委员会", .35)}
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓"
             "曹彭曾肖田董潘袁蔡蒋余叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖金戴夏邱方侯邹熊孟秦")
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红玲芬"
          "燕彬鹏辉建国志宏海波春晓东文斌浩宇晨欣怡佳俊")
OPINIONS = ("诊疗行为存在一定过错，与损害后果有一定因果关系", "未发现明显过错，建议人文关怀补偿",
            "责任比例建议百分之三十", "建议双方互谅互让，协商解决", "依据相关规定计算赔偿标准")
SESSION_NOTES = ("听取双方陈述", "背对背调解", "现场查看", "组织专家评议", "释法明理，促成和解",
                 "核对损失清单")
FACT_ENDINGS = ("双方矛盾有激化苗头。", "网格员走访时发现并上报。", "当事人情绪较为激动。",
                "经村(居)委会初步调解未果。", "当事人申请人民调解。")
_PLACE = "东西南北新金银石青云龙凤鹤松柏桂梅兰竹荷桃枫柳瑞祥泰顺丰华"


@dataclass
class MediationSample:
    """The frames of :func:`sample_mediation`, named as the tables.

    ``cases`` carries a ``scenario`` column (the template it was written
    from) that the store does not keep: the search evaluation's labels.
    """

    organisations: pd.DataFrame
    mediators: pd.DataFrame
    experts: pd.DataFrame
    cases: pd.DataFrame
    parties: pd.DataFrame
    case_experts: pd.DataFrame
    sessions: pd.DataFrame
    referrals: pd.DataFrame
    followups: pd.DataFrame
    fulfilments: pd.DataFrame = field(default_factory=pd.DataFrame)
    assessments: pd.DataFrame = field(default_factory=pd.DataFrame)
    materials: pd.DataFrame = field(default_factory=pd.DataFrame)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The frames by table name (for :meth:`MediationStore.load`)."""
        return dict(self.__dict__)


def _month(m: int) -> dt.date:
    y, mo = divmod(SAMPLE_FIRST_MONTH.month - 1 + m, 12)
    return dt.date(SAMPLE_FIRST_MONTH.year + y, mo + 1, 1)


def _month_index(text: str) -> int:
    y, m = map(int, text.split("-"))
    return (y - SAMPLE_FIRST_MONTH.year) * 12 + m - SAMPLE_FIRST_MONTH.month


def _surge(m: int) -> float:
    """The medical rise's factor in month ``m`` (1 outside it)."""
    first, top, warned = (_month_index(MEDICAL_SURGE[k]) for k in (
        "first_month", "peak_month", "warned_month"))
    peak, after = float(MEDICAL_SURGE["peak"]), float(MEDICAL_SURGE["after"])
    if m < first:
        return 1.0
    if m <= warned:
        return 1 + (peak - 1) * min(1.0, (m - first + 1) / (top - first + 1))
    fall = min(1.0, (m - warned) / 5)  # half a year to settle after the notice
    return peak * (1 - fall * (1 - after))


class _Writer:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def person(self) -> str:
        r = self.rnd
        return r.choice(_SURNAMES) + r.choice(_GIVEN) + (r.choice(_GIVEN) if r.random() < .6
                                                         else "")

    def phone(self) -> str:
        r = self.rnd
        return f"1{r.choice('3578')}{r.randrange(10**9):09d}"

    def place(self) -> str:
        return self.rnd.choice(_PLACE) + self.rnd.choice("山湖溪桥浦湾林园岭港")

    def amount(self, lo: float, hi: float) -> float:
        return float(round(math.exp(self.rnd.uniform(math.log(lo), math.log(hi))), -2) or lo)


def _registries(layers: Any, w: _Writer) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    r = w.rnd
    district = str(layers.townships["district_code"].iloc[0])
    orgs: list[dict[str, Any]] = []
    for code, row in layers.communities.iterrows():
        kind = "village" if row.get("kind") == "rural" or str(row["name"]).endswith("村") \
            else "community"
        orgs.append({"org_id": f"TW{code}", "name": f"{row['name']}人民调解委员会", "kind": kind,
                     "area_code": str(code), "speciality": None})
    for code, row in layers.townships.iterrows():
        orgs.append({"org_id": f"TZ{code}", "name": f"{row['name']}矛盾纠纷调处化解中心",
                     "kind": "township", "area_code": str(code), "speciality": None})
    for i, (dtype, (name, _)) in enumerate(PROFESSIONAL.items()):
        orgs.append({"org_id": f"TP{district}{i + 1:02d}", "name": f"区{name}",
                     "kind": "professional", "area_code": district, "speciality": dtype})
    mediators = []
    for org in orgs:
        n = {"village": 2, "community": 2, "township": 4, "professional": 5}[org["kind"]]
        for j in range(n):
            full = org["kind"] != "village" and (org["kind"] == "professional" or j == 0)
            spec = org["speciality"] or ",".join(r.sample(list(DISPUTE_TYPES), 2))
            mediators.append({
                "mediator_id": f"{org['org_id']}-{j + 1}", "name": w.person(),
                "org_id": org["org_id"], "full_time": full,
                "qualification": r.choice(("一级人民调解员", "二级人民调解员", "三级人民调解员"))
                if full else "人民调解员", "specialities": spec, "phone": w.phone(),
                "since": dt.date(r.randrange(2008, 2023), r.randrange(1, 13), 1),
                "active": r.random() > .04})
    fields = [("医学", ("主任医师", "副主任医师"), "区人民医院"),
              ("医学", ("主任医师",), "市中心医院"),
              ("法律", ("律师", "高级律师"), "律师事务所"),
              ("劳动保障", ("高级经济师",), "劳动保障咨询中心"),
              ("建筑工程", ("高级工程师",), "建设工程质量检测站"),
              ("心理咨询", ("心理咨询师",), "心理援助中心")]
    experts = []
    for i in range(36):
        field, titles, employer = fields[0 if i < 10 else 1 if i < 14 else 2 + (i - 14) % 4]
        if employer in ("律师事务所", "建设工程质量检测站"):
            employer = w.place() + employer
        experts.append({"expert_id": f"ZJ{i + 1:03d}", "name": w.person(), "field": field,
                        "title": r.choice(titles), "employer": employer, "phone": w.phone()})
    return pd.DataFrame(orgs), pd.DataFrame(mediators), pd.DataFrame(experts)


def _org_name(w: _Writer, kind: str, scenario: Scenario, hospitals: list[str]) -> str:
    r = w.rnd
    if kind == "hospital":
        if scenario.key == "dental":
            return w.place() + r.choice(("口腔诊所", "医疗美容门诊部"))
        return r.choice(hospitals)
    if kind == "employer":
        return w.place() + r.choice(("鞋业有限公司", "建筑工程有限公司", "电器厂", "服饰有限公司",
                                     "汽摩配件厂", "阀门有限公司"))
    if kind == "property_company":
        return w.place() + "物业管理有限公司"
    if kind == "insurer":
        return w.place() + "财产保险股份有限公司"
    shops = {"prepaid": ("健身会所", "教育培训中心", "美容美发店"),
             "renovation": ("装饰工程有限公司",), "car": ("汽车销售服务有限公司",)}
    return w.place() + r.choice(shops.get(scenario.key, ("商行",)))


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)


def sample_mediation(layers: Any, *, seed: int = 2026, per_year: int = 2000
                     ) -> MediationSample:
    """Registries and three years of cases for a district.

    Parameters
    ----------
    layers : gridgis.layers.Layers
        The district (townships, communities, grids; its ``incidents`` are
        linked to the cases that came from them).
    seed : int, default 2026
    per_year : int, default 2000
        Cases a year before the medical rise.

    Returns
    -------
    MediationSample

    Examples
    --------
    >>> from gridgis.sample import sample_district
    >>> s = sample_mediation(sample_district(scale=0.05), per_year=200)
    >>> len(s.cases) > 500, s.cases["dispute_type"].nunique()
    (True, 10)
    """
    rnd = random.Random(seed * 7919 + 18)
    rng = np.random.default_rng([seed, 18])
    w = _Writer(rnd)
    orgs, mediators, experts = _registries(layers, w)
    grids = layers.grids
    grid_codes = grids["code"].astype(str).to_numpy()
    pop = grids["population"].to_numpy(float) if "population" in grids else np.ones(len(grids))
    pop = np.maximum(pop, 1) / np.maximum(pop, 1).sum()
    townships = layers.townships.index.astype(str).tolist()
    hot_township = townships[min(1, len(townships) - 1)]
    hot_grids = [g for g in grid_codes if g.startswith(hot_township)]
    hot_share = float(pop[np.char.startswith(grid_codes.astype(str), hot_township)].sum())
    grid_draws = iter(rng.choice(len(grid_codes), size=per_year * 8, p=pop).tolist())
    referral_units = _referral_units(layers)
    tname = dict(zip(layers.townships.index.astype(str), layers.townships["name"], strict=True))
    hospitals = ["区人民医院", "区中医院", "区第二人民医院"] + [
        f"{n}卫生院" for n in tname.values()]
    hot_hospital = "区第二人民医院"
    by_org = mediators.groupby("org_id")["mediator_id"].apply(list).to_dict()
    prof = {o["speciality"]: o["org_id"] for o in orgs.to_dict("records") if o["speciality"]}
    scen_by_type: dict[str, list[Scenario]] = defaultdict(list)
    for s in SCENARIOS:
        scen_by_type[s.dispute_type].append(s)
    incidents_by_cat: dict[str, list[tuple[str, str, dt.datetime]]] = defaultdict(list)
    if getattr(layers, "incidents", None) is not None and len(layers.incidents):
        inc = layers.incidents[layers.incidents["category"].str.startswith("D")]
        for iid, cat, grid, at in zip(inc["incident_id"], inc["category"], inc["grid_code"],
                                      pd.to_datetime(inc["reported_at"]), strict=True):
            incidents_by_cat[cat].append((str(iid), str(grid), at.to_pydatetime()))
        for v in incidents_by_cat.values():
            rnd.shuffle(v)
    end = dt.datetime.combine(_month(SAMPLE_MONTHS), dt.time())
    medical_experts = experts.loc[experts["field"] == "医学", "expert_id"].tolist()
    other_experts = experts.loc[experts["field"] != "医学", "expert_id"].tolist()

    rows, party_rows, expert_rows, session_rows, referral_rows, followup_rows = (
        [], [], [], [], [], [])
    seq: dict[int, int] = defaultdict(int)
    for m in range(SAMPLE_MONTHS):
        first = _month(m)
        days = (_month(m + 1) - first).days
        for dtype, share in SHARES.items():
            lam = per_year / 12 * share * (1 + 0.03 * m / 12)
            if dtype == "M04" and first.month in (12, 1):
                lam *= 1.8  # wages before the Spring Festival
            n = int(rng.poisson(lam))
            extra = 0
            if dtype == "M06":
                factor = _surge(m)
                # the rise comes from one hospital: its disputes lie where it stands
                extra = int(rng.poisson(lam * max(hot_share, .6) * (factor - 1))) \
                    if factor > 1 else 0
            for k in range(n + extra):
                hot = k >= n
                scen_list = scen_by_type[dtype]
                scen = scen_list[0] if hot and rnd.random() < .8 else rnd.choices(
                    scen_list, weights=[s.weight for s in scen_list])[0]
                received = dt.datetime.combine(first, dt.time(8)) + dt.timedelta(
                    days=rnd.randrange(days), minutes=rnd.randrange(600))
                grid = rnd.choice(hot_grids) if hot else str(
                    grid_codes[next(grid_draws)])
                incident_id, source = None, rnd.choice(("walk_in", "walk_in", "hotline", "court"))
                cat = DISPUTE_TYPES[dtype].category
                pool = incidents_by_cat.get(cat or "", [])
                if pool and rnd.random() < .35:
                    for idx in range(min(len(pool), 20)):
                        iid, igrid, iat = pool[idx]
                        if iat.year == received.year and iat.month == received.month:
                            pool.pop(idx)
                            incident_id, grid, source = iid, igrid, "incident"
                            received = iat + dt.timedelta(hours=rnd.randrange(2, 48))
                            break
                seq[received.year] += 1
                case_id = f"TJ{received.year}{seq[received.year]:05d}"
                row, parties = _case(case_id, scen, dtype, received, grid, w, hospitals,
                                     hot_hospital if hot else None)
                row["incident_id"], row["source"] = incident_id, source
                township = grid[:9]
                org_id = f"TW{grid[:12]}"
                pro = PROFESSIONAL.get(dtype)
                if pro and rnd.random() < pro[1]:
                    org_id = prof[dtype]
                elif rnd.random() < .35 or org_id not in by_org:
                    org_id = f"TZ{township}"
                row["org_id"], row["mediator_id"] = org_id, rnd.choice(by_org[org_id])
                _outcome(row, scen, dtype, end, w)
                rows.append(row)
                party_rows.extend({"case_id": case_id, **p} for p in parties)
                pool_e = medical_experts if dtype == "M06" else other_experts
                if (dtype == "M06" and rnd.random() < .7) or rnd.random() < .08:
                    for e in rnd.sample(pool_e, 1 + (rnd.random() < .3)):
                        expert_rows.append({"case_id": case_id, "expert_id": e,
                                            "opinion": rnd.choice(OPINIONS)})
                closed = row["closed_at"] or min(end, received + dt.timedelta(days=20))
                n_sessions = 1 + min(3, int(rng.poisson(.8 if dtype != "M06" else 1.6)))
                span = max((closed - received).total_seconds(), 3600)
                for s in range(n_sessions):
                    session_rows.append({
                        "case_id": case_id, "seq": s + 1, "mediator_id": row["mediator_id"],
                        "held_at": received + dt.timedelta(seconds=span * (s + .5) / n_sessions),
                        "note": rnd.choice(SESSION_NOTES)})
                if row["outcome"] == "failed":
                    _failed(row, referral_rows, followup_rows, referral_units, w, end)
    cases = pd.DataFrame(rows)
    sessions = pd.DataFrame(session_rows)
    return MediationSample(orgs, mediators, experts, cases, pd.DataFrame(party_rows),
                           pd.DataFrame(expert_rows).drop_duplicates(["case_id", "expert_id"]),
                           sessions, pd.DataFrame(referral_rows), pd.DataFrame(followup_rows),
                           sample_fulfilments(cases, seed=seed),
                           sample_assessments(cases, orgs, seed=seed),
                           sample_materials(cases, orgs, sessions, seed=seed))


def _case(case_id: str, scen: Scenario, dtype: str, received: dt.datetime, grid: str,
          w: _Writer, hospitals: list[str], hospital: str | None
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = w.rnd
    applicant = w.person()
    kind = scen.respondent
    if kind == "person":
        respondent = w.person()
        b = respondent[0] + "某"
    else:
        respondent = hospital or _org_name(w, kind, scen, hospitals)
        b = respondent
    a = applicant[0] + "某"
    if scen.key == "fee":  # the company applies against an owner
        applicant, respondent, kind = respondent, applicant, "person"
        a, b = b, a
    lo, hi = scen.amount or (0, 0)
    amount = w.amount(lo, hi) if scen.amount else None
    agreed = float(round((amount or 0) * r.uniform(.3, .9), -2)) if amount else None
    when = f"{received.year - (received.month < 4)}年{r.randrange(1, 13)}月"
    slots = {k: r.choice(v) for k, v in scen.slots.items()}
    slots.update(a=a, b=b, when=when, amount=f"{amount:.0f}" if amount else "",
                 agreed=f"{agreed:.0f}" if agreed else "")
    facts = _fill(r.choice(scen.facts), slots)
    if r.random() < .4:
        facts += r.choice(FACT_ENDINGS)
    row = {"case_id": case_id, "dispute_type": dtype, "scenario": scen.key,
           "title": _fill(scen.title, slots), "facts": facts,
           "claim": _fill(r.choice(scen.claims), slots), "amount": amount, "grid_code": grid,
           "respondent_kind": kind if scen.key != "fee" else "property_company",
           "received_at": received, "_terms": _fill(r.choice(scen.terms), slots),
           "agreed_amount": agreed, "recorded_by": "sample"}
    parties = [{"side": "applicant", "kind": "person" if scen.key != "fee" else
                "property_company", "name": applicant,
                "phone": w.phone() if scen.key != "fee" else None},
               {"side": "respondent", "kind": kind, "name": respondent,
                "phone": w.phone() if kind == "person" else None}]
    return row, parties


def _outcome(row: dict[str, Any], scen: Scenario, dtype: str, end: dt.datetime,
             w: _Writer) -> None:
    r = w.rnd
    mean = {"M06": 35, "M04": 14, "M07": 18, "M03": 20}.get(dtype, 8)
    days = max(1.0, r.gammavariate(2, mean / 2))
    closed = row["received_at"] + dt.timedelta(minutes=round(days * 1440))
    terms = row.pop("_terms")
    row.update(closed_at=None, outcome=None, terms=None, fulfilment=None, model_case=False,
               sensitive=scen.key == "death" or (scen.key == "wages" and r.random() < .15))
    if closed >= end:
        row["agreed_amount"] = None
        return
    row["closed_at"] = closed
    x = r.random()
    if x < SUCCESS[dtype]:
        row["outcome"], row["terms"] = "agreement", terms
        if (end - closed).days < 30:
            row["fulfilment"] = "pending"
        else:
            y = r.random()
            row["fulfilment"] = ("fulfilled" if y < .9 else "partial" if y < .96 else
                                 "unfulfilled")
        row["model_case"] = r.random() < .03
        if row["model_case"]:
            row["facts"] += "本案经调解员耐心疏导、释法析理，当事人握手言和，入选区典型案例。"
    else:
        row["outcome"] = "withdrawn" if x > SUCCESS[dtype] + (1 - SUCCESS[dtype]) * .8 \
            else "failed"
        row["agreed_amount"] = None


def _referral_units(layers: Any) -> dict[tuple[str, str | None], str]:
    """The unit a court or arbitration referral is recorded to, per township (and any)."""
    out: dict[tuple[str, str | None], str] = {}
    units = getattr(layers, "units", None)
    if units is None:
        return out
    for to, kind in (("court", "judicial_office"), ("arbitration", "labour_inspection")):
        pick = units[units["kind"] == kind]
        for uid, town in zip(pick["unit_id"], pick["township_code"], strict=True):
            out.setdefault((to, str(town)), str(uid))
            out.setdefault((to, None), str(uid))
    return out


def _failed(row: dict[str, Any], referral_rows: list, followup_rows: list, units: dict,
            w: _Writer, end: dt.datetime) -> None:
    r = w.rnd
    dtype, closed = row["dispute_type"], row["closed_at"]
    to = ("arbitration" if dtype == "M04" and r.random() < .6 else
          "petition" if r.random() < (.35 if dtype == "M06" else .15) else "court")
    if to == "petition":
        row["sensitive"] = True
    unit = units.get((to, row["grid_code"][:9])) or units.get((to, None))
    referral_rows.append({"case_id": row["case_id"], "to_kind": to, "to_unit": unit,
                          "referred_at": closed + dt.timedelta(days=r.randrange(1, 5)),
                          "reason": "调解不成，告知当事人依法通过" + {
                              "court": "诉讼途径解决", "arbitration": "劳动仲裁解决",
                              "petition": "信访渠道反映诉求"}[to], "recorded_by": "sample"})
    for i, (kind, title) in enumerate((("revisit", "回访当事人，了解诉求变化"),
                                       ("track", "跟踪诉讼/仲裁/信访进展"),
                                       ("stabilise", "落实稳控化解措施"))):
        due = closed + dt.timedelta(days=7 * (i + 1))
        followup_rows.append({"case_id": row["case_id"], "kind": kind, "title": title,
                              "due_at": due, "assignee": row["mediator_id"],
                              "done_at": due - dt.timedelta(days=r.randrange(0, 5))
                              if due < end - dt.timedelta(days=10) and r.random() < .92
                              else None})
