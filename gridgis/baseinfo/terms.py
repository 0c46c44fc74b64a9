"""The terms of the base information (一标三实): record kinds, house uses, residence, tags.

Every value a record may take is declared here once, with its Chinese name
(the console and exports show the Chinese, the API and the store the English
value). Rosters may give either.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ACTION_NAMES",
    "HOUSE_USES",
    "KEY_PERSON_TAGS",
    "KINDS",
    "KIND_NAMES",
    "ORG_KINDS",
    "PERSON_TAGS",
    "RESIDENCE",
    "STATUS_NAMES",
    "parse_term",
]

KINDS: tuple[str, ...] = ("addresses", "houses", "people", "orgs")
"""The four record kinds: standard addresses, houses, people, organisations."""
KIND_NAMES: dict[str, str] = {"addresses": "标准地址", "houses": "实有房屋",
                              "people": "实有人口", "orgs": "实有单位"}
"""The Chinese name of each record kind."""

HOUSE_USES: dict[str, str] = {"owner_occupied": "自住", "rented": "出租", "vacant": "空置",
                              "shop": "商铺"}
"""Uses of a house (房屋用途)."""
RESIDENCE: dict[str, str] = {"registered": "户籍人口", "migrant": "流动人口"}
"""Residence of a person: registered here (户籍) or migrant (流动)."""
KEY_PERSON_TAGS: dict[str, str] = {
    "community_correction": "社区矫正对象", "mental_disorder": "严重精神障碍患者",
    "drug_user": "社区戒毒(康复)人员", "released_prisoner": "刑满释放人员",
    "petitioner": "重点信访人员"}
"""Kinds of key persons (重点人员), each visited at the frequency of the task catalogue."""
PERSON_TAGS: dict[str, str] = {
    "elderly_alone": "独居老人", "disabled": "残疾人", "left_behind_child": "留守儿童",
    "low_income": "低保对象", **KEY_PERSON_TAGS}
"""Every tag a person may carry: special groups (特殊人群) and key persons."""
ORG_KINDS: dict[str, str] = {"shop": "商铺", "restaurant": "餐饮", "firm": "企业",
                             "school": "学校", "clinic": "医疗机构", "hotel": "旅馆",
                             "social": "社会组织"}
"""Kinds of organisations (实有单位)."""
STATUS_NAMES: dict[str, str] = {"active": "在册", "cancelled": "已注销"}
"""States of a record: on the register, or cancelled (注销, kept with its history)."""
ACTION_NAMES: dict[str, str] = {"add": "新增", "change": "变更", "cancel": "注销",
                                "reassign": "调整网格", "import": "导入"}
"""Actions in a record's history."""


def parse_term(value: object, terms: Mapping[str, str], what: str) -> str:
    """The English value of a term given in English or in Chinese.

    Parameters
    ----------
    value : object
        The value as given (``rented`` or ``出租``; case and blanks ignored).
    terms : mapping
        English value → Chinese name (one of this module's tables).
    what : str
        What the value is, for the error message (``房屋用途 / use``).

    Raises
    ------
    ValueError
        Naming the allowed values.

    Examples
    --------
    >>> parse_term("出租", HOUSE_USES, "use")
    'rented'
    >>> parse_term(" Vacant ", HOUSE_USES, "use")
    'vacant'
    """
    key = str(value).strip()
    if key.lower() in terms:
        return key.lower()
    for english, chinese in terms.items():
        if key == chinese:
            return english
    allowed = "、".join(f"{zh}({en})" for en, zh in terms.items())
    raise ValueError(f"{what} 不能为 {key!r}，可用：{allowed} / {what} cannot be {key!r}; "
                     f"use one of {', '.join(terms)}")
