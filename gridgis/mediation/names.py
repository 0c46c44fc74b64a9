"""The mediation platform's vocabulary (人民调解): dispute types, outcomes, referrals, kinds.

Each dispute type (纠纷类型) has a code, its Chinese name, the incident
category it comes from when a grid worker reported it (D01–D06 of
``categories.csv``, or none) and the authority of its field to whom an early
warning is addressed (e.g. 卫生健康局 for medical disputes).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CRITERIA",
    "DISPUTE_TYPES",
    "FULFILMENT_NAMES",
    "GRADE_NAMES",
    "MATERIAL_KIND_NAMES",
    "ORG_KIND_NAMES",
    "OUTCOME_NAMES",
    "PARTY_KIND_NAMES",
    "REFERRAL_NAMES",
    "DisputeType",
    "Fulfilment",
    "Grade",
    "MaterialKind",
    "OrgKind",
    "Outcome",
    "PartyKind",
    "Referral",
    "dispute_type",
]


@dataclass(frozen=True)
class DisputeType:
    """One dispute type.

    Parameters
    ----------
    code : str
        ``M01`` … ``M10``.
    name : str
        Chinese name (纠纷类型).
    english : str
    category : str or None
        The incident category (D01–D06) a reported matter of this type carries.
    authority : str
        The authority of the field (行业主管部门) an early warning is addressed to.
    """

    code: str
    name: str
    english: str
    category: str | None
    authority: str


DISPUTE_TYPES: dict[str, DisputeType] = {t.code: t for t in (
    DisputeType("M01", "邻里纠纷", "neighbour dispute", "D01", "区司法局"),
    DisputeType("M02", "婚姻家庭纠纷", "family or marriage dispute", "D02", "区司法局"),
    DisputeType("M03", "土地宅基地纠纷", "land or homestead dispute", "D03", "区自然资源和规划局"),
    DisputeType("M04", "劳动争议纠纷", "labour dispute", "D04", "区人力资源和社会保障局"),
    DisputeType("M05", "物业纠纷", "property-management dispute", "D05", "区住房和城乡建设局"),
    DisputeType("M06", "医疗纠纷", "medical dispute", "D06", "区卫生健康局"),
    DisputeType("M07", "道路交通事故纠纷", "road-traffic accident dispute", None,
                "公安交通管理大队"),
    DisputeType("M08", "消费纠纷", "consumer dispute", None, "区市场监督管理局"),
    DisputeType("M09", "民间借贷纠纷", "private lending dispute", None, "区司法局"),
    DisputeType("M10", "损害赔偿纠纷", "damages dispute", None, "区司法局"),
)}
"""The dispute types by code."""


def dispute_type(code: str) -> DisputeType:
    """The dispute type of a code.

    Raises
    ------
    KeyError
        For an unknown code.

    Examples
    --------
    >>> dispute_type("M06").authority
    '区卫生健康局'
    """
    return DISPUTE_TYPES[code]


class Outcome(StrEnum):
    """How a mediation ended (调解结果)."""

    AGREEMENT = "agreement"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


OUTCOME_NAMES = {Outcome.AGREEMENT: "调解成功（达成协议）", Outcome.FAILED: "调解不成",
                 Outcome.WITHDRAWN: "当事人撤回"}


class Fulfilment(StrEnum):
    """Whether an agreement was carried out (协议履行)."""

    FULFILLED = "fulfilled"
    PARTIAL = "partial"
    UNFULFILLED = "unfulfilled"
    PENDING = "pending"


FULFILMENT_NAMES = {Fulfilment.FULFILLED: "已履行", Fulfilment.PARTIAL: "部分履行",
                    Fulfilment.UNFULFILLED: "未履行", Fulfilment.PENDING: "履行期内"}


class Referral(StrEnum):
    """Where a failed mediation was passed on (移交/分流)."""

    COURT = "court"
    PETITION = "petition"
    ARBITRATION = "arbitration"


REFERRAL_NAMES = {Referral.COURT: "人民法院（诉讼/司法确认）", Referral.PETITION: "信访部门",
                  Referral.ARBITRATION: "劳动人事争议仲裁委员会"}


class OrgKind(StrEnum):
    """The kinds of mediation organisation (调解组织)."""

    VILLAGE = "village"
    COMMUNITY = "community"
    TOWNSHIP = "township"
    PROFESSIONAL = "professional"


ORG_KIND_NAMES = {OrgKind.VILLAGE: "村民调解委员会", OrgKind.COMMUNITY: "居民调解委员会",
                  OrgKind.TOWNSHIP: "乡镇(街道)矛盾纠纷调处化解中心",
                  OrgKind.PROFESSIONAL: "行业性专业性调解委员会"}


class PartyKind(StrEnum):
    """What a party is (当事人类别): a person or an organisation of some kind."""

    PERSON = "person"
    HOSPITAL = "hospital"
    EMPLOYER = "employer"
    PROPERTY_COMPANY = "property_company"
    MERCHANT = "merchant"
    INSURER = "insurer"
    VILLAGE_COLLECTIVE = "village_collective"


PARTY_KIND_NAMES = {PartyKind.PERSON: "自然人", PartyKind.HOSPITAL: "医疗机构",
                    PartyKind.EMPLOYER: "用人单位", PartyKind.PROPERTY_COMPANY: "物业服务企业",
                    PartyKind.MERCHANT: "经营者", PartyKind.INSURER: "保险公司",
                    PartyKind.VILLAGE_COLLECTIVE: "村集体经济组织"}


CRITERIA = {"procedure": ("程序规范", 0.25), "legality": ("合法合规", 0.25),
            "satisfaction": ("当事人满意度", 0.3), "fulfilment": ("协议履行", 0.2)}
"""The quality assessment's criteria (质量评估): Chinese name and weight in the total."""


class Grade(StrEnum):
    """A mediation's quality grade (评估等级), from the weighted total of its scores."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


GRADE_NAMES = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格",
               Grade.FAIL: "不合格"}


class MaterialKind(StrEnum):
    """The kinds of learning material (学习资料)."""

    LAW = "law"
    TRAINING = "training"
    COMMENTARY = "commentary"


MATERIAL_KIND_NAMES = {MaterialKind.LAW: "法律法规", MaterialKind.TRAINING: "培训教材",
                       MaterialKind.COMMENTARY: "典型案例评析"}
