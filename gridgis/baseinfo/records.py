"""Checking a record's fields before it is stored: terms, identity numbers, licence ids.

One function, :func:`clean_fields`, takes the fields of a record as given
(by the terminal, the API or a roster row) and returns them as stored, or
raises :class:`~gridgis.errors.InputError` naming the field. Identity
numbers (公民身份号码, GB 11643) and unified social credit codes (统一社会信用代码,
GB 32100) are checked with their check characters, so a typo is caught at
the door rather than found later as a duplicate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from gridgis.baseinfo.terms import HOUSE_USES, ORG_KINDS, PERSON_TAGS, RESIDENCE, parse_term
from gridgis.errors import InputError

__all__ = ["EDITABLE", "ID_CHECK", "ID_WEIGHTS", "LICENCE_CHARS", "REQUIRED", "birth_date_of",
           "clean_fields", "id_check_char", "licence_check_char", "valid_id_number",
           "valid_licence_id"]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID = re.compile(r"^\d{17}[\dX]$")
LICENCE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_LICENCE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LICENCE = re.compile(rf"^[{LICENCE_CHARS}]{{18}}$")
_PHONE = re.compile(r"^\+?[0-9\-]{5,20}$")

REQUIRED: dict[str, tuple[str, ...]] = {
    "addresses": ("road", "door_no", "lon", "lat"),
    "houses": ("address_id", "room", "use", "floor_area_m2"),
    "people": ("name", "id_number", "residence", "address_id"),
    "orgs": ("name", "kind", "licence_id", "lon", "lat"),
}
"""Fields a new record must have."""
EDITABLE: dict[str, tuple[str, ...]] = {
    "addresses": ("road", "door_no", "building_id", "lon", "lat"),
    "houses": ("address_id", "room", "use", "floor_area_m2"),
    "people": ("name", "id_number", "phone", "residence", "house_id", "address_id", "tags"),
    "orgs": ("name", "kind", "licence_id", "address_id", "lon", "lat"),
}
"""Fields a grid worker may set (新增/变更); the others the register keeps itself."""


def id_check_char(first17: str) -> str:
    """The check character of an identity number's first 17 digits (GB 11643).

    Examples
    --------
    >>> id_check_char("11010519491231002")
    'X'
    """
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def valid_id_number(value: str) -> bool:
    """Whether an 18-character identity number is well formed: date and check character.

    Examples
    --------
    >>> valid_id_number("11010519491231002X"), valid_id_number("110105194912310021")
    (True, False)
    """
    if not _ID.match(value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_char(value[:17]) == value[17]


def birth_date_of(id_number: str) -> dt.date:
    """The birth date an identity number carries (digits 7–14)."""
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def licence_check_char(first17: str) -> str:
    """The check character of a unified social credit code's first 17 characters (GB 32100).

    Examples
    --------
    >>> licence_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(LICENCE_CHARS.index(c) * w
                for c, w in zip(first17, _LICENCE_WEIGHTS, strict=True))
    return LICENCE_CHARS[(31 - total % 31) % 31]


def valid_licence_id(value: str) -> bool:
    """Whether a unified social credit code is well formed (characters and check character).

    Examples
    --------
    >>> valid_licence_id("91350100M000100Y43")
    True
    """
    return bool(_LICENCE.match(value)) and licence_check_char(value[:17]) == value[17]


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).replace("\u3000", " ").strip()
        if not text:
            raise ValueError("不能为空 / must not be empty")
        if len(text) > limit:
            raise ValueError(f"不能超过 {limit} 个字符 / at most {limit} characters")
        return text
    return check


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"须为数字 / must be a number, got {value!r}") from None
        if not low <= number <= high:  # NaN fails too
            raise ValueError(f"须在 {low:g} 与 {high:g} 之间 / must lie between {low:g} and "
                             f"{high:g}")
        return number
    return check


def _id_number(value: Any) -> str:
    text = str(value).strip().upper()
    if not valid_id_number(text):
        raise ValueError("不是有效的18位公民身份号码（校验位或出生日期不符）/ not a valid "
                         "18-character identity number (date or check character)")
    return text


def _licence(value: Any) -> str:
    text = str(value).strip().upper()
    if not valid_licence_id(text):
        raise ValueError("不是有效的18位统一社会信用代码 / not a valid 18-character unified "
                         "social credit code")
    return text


def _phone(value: Any) -> str | None:
    text = re.sub(r"\s", "", str(value or ""))
    if not text:
        return None
    if not _PHONE.match(text):
        raise ValueError("电话号码只能含数字、+ 和 - / a phone holds digits, + and - only")
    return text


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = re.split(r"[;；,，、\s]+", value) if isinstance(value, str) else list(value)
    return sorted({parse_term(t, PERSON_TAGS, "标签 tags") for t in items if str(t).strip()})


def _optional_id(value: Any) -> str | None:
    text = str(value or "").strip()
    if len(text) > 40:
        raise ValueError("编号不能超过 40 个字符 / an id has at most 40 characters")
    return text or None


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "road": _text(64), "door_no": _text(16), "building_id": _optional_id,
    "lon": _number(-180, 180), "lat": _number(-90, 90), "address_id": _text(32),
    "room": _text(16), "use": lambda v: parse_term(v, HOUSE_USES, "房屋用途 use"),
    "floor_area_m2": _number(1, 100_000), "name": _text(100), "id_number": _id_number,
    "phone": _phone, "residence": lambda v: parse_term(v, RESIDENCE, "人口类别 residence"),
    "house_id": _optional_id, "tags": _tags,
    "kind": lambda v: parse_term(v, ORG_KINDS, "单位类别 kind"), "licence_id": _licence,
}


def clean_fields(kind: str, values: Mapping[str, Any], *, new: bool) -> dict[str, Any]:
    """The fields of a record checked and normalised, as the register stores them.

    Parameters
    ----------
    kind : str
        ``addresses``, ``houses``, ``people`` or ``orgs``.
    values : mapping
        Field → value as given; terms in English or Chinese.
    new : bool
        A new record (every field of :data:`REQUIRED` must be there) or a change.

    Returns
    -------
    dict
        The fields given, checked (people also get ``birth_date`` and
        ``gender`` from their identity number).

    Raises
    ------
    InputError
        Naming the first field at fault and why.

    Examples
    --------
    >>> clean_fields("houses", {"address_id": "A1", "room": "101", "use": "出租",
    ...                         "floor_area_m2": "86"}, new=True)["use"]
    'rented'
    """
    unknown = [k for k in values if k not in EDITABLE[kind]]
    if unknown:
        raise InputError(f"{unknown[0]} 不是可填写的字段（可填：{'、'.join(EDITABLE[kind])}）/ "
                         f"{unknown[0]} cannot be set; fields are {', '.join(EDITABLE[kind])}",
                         field=unknown[0])
    if new:
        for name in REQUIRED[kind]:
            if values.get(name) is None or str(values.get(name)).strip() == "":
                raise InputError(f"缺少 {name} / {name} is required", field=name)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None and name not in REQUIRED[kind]:
            out[name] = [] if name == "tags" else None
            continue
        try:
            out[name] = _CHECKS[name](value)
        except ValueError as exc:
            raise InputError(f"{name}: {exc}", field=name) from None
    if kind == "people" and "id_number" in out:
        out["birth_date"] = birth_date_of(out["id_number"])
        out["gender"] = "male" if int(out["id_number"][16]) % 2 else "female"
    return out
