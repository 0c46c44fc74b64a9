"""Masking personal data: phone numbers and names as the roles that do not call back see them.

A phone is shown as ``138****1234`` (a landline as ``0577-****3456``), a name
as its surname and two stars (``张**``, ``欧阳**``: the stars hide the length
too), and any mobile or landline number typed into free text (an incident's
description) is masked where it stands. Full-width digits (``１３８…``), which
phones' input methods produce, are recognised as digits.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["COMPOUND_SURNAMES", "mask_email", "mask_name", "mask_phone", "mask_phones_in_text"]

COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "澹台", "公冶", "申屠", "太史",
    "端木", "呼延", "南宫", "西门", "独孤", "万俟", "闻人", "赫连", "濮阳", "百里",
    "东郭", "左丘", "第五", "梁丘", "拓跋", "司空", "亓官", "仲孙", "单于", "公羊",
    "谷梁", "乐正", "漆雕", "壤驷", "巫马", "微生", "羊舌", "淳于", "太叔", "叱干"))
"""Two-character surnames kept whole by :func:`mask_name`."""

_D = "[0-9\uff10-\uff19]"  # an ASCII or a full-width digit
_MOBILE = (rf"(?:(?:\+|＋)?[8８][6６][\s\-]?)?[1１][3-9３-９]{_D}"
           rf"(?:[\s\-]?{_D}{{4}}){{2}}")
_LANDLINE = rf"(?:[(（][0０]{_D}{{2,3}}[)）]|[0０]{_D}{{2,3}})[\s\-]?{_D}{{7,8}}"
_IN_TEXT = re.compile(rf"(?<![0-9\uff10-\uff19])(?:{_MOBILE}|{_LANDLINE})(?![0-9\uff10-\uff19])")
_THREE_DIGIT_AREA = re.compile(r"^0(?:10|2[0-9])")  # Beijing 010 and the 02x cities


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if c.isdigit())


def mask_phone(phone: str | None) -> str | None:
    """A phone number with its middle digits hidden.

    A mobile number (11 digits from 13x to 19x, with or without +86 and
    separators) keeps its first three and last four digits; a landline keeps
    its area code and last four digits; a short number (a hotline such as
    12345) keeps its last two.

    Parameters
    ----------
    phone : str or None

    Returns
    -------
    str or None
        The masked number (None and "" are returned as they are).

    Examples
    --------
    >>> mask_phone("13812341234")
    '138****1234'
    >>> mask_phone("+86 138-1234-1234")
    '138****1234'
    >>> mask_phone("0577-88123456")
    '0577-****3456'
    >>> mask_phone("010-61234567")
    '010-****4567'
    >>> mask_phone("88123456")
    '****3456'
    >>> mask_phone(None) is None
    True
    """
    if not phone:
        return phone
    digits = _digits(phone)
    if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1":
        return f"{digits[:3]}****{digits[-4:]}"
    if digits.startswith("0") and len(digits) >= 10:
        area = digits[:3] if _THREE_DIGIT_AREA.match(digits) else digits[:4]
        return f"{area}-****{digits[-4:]}"
    if len(digits) >= 7:
        return f"****{digits[-4:]}"
    if len(digits) <= 2:
        return "**"
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_name(name: str | None) -> str | None:
    """A personal name as its surname and two stars.

    Parameters
    ----------
    name : str or None

    Returns
    -------
    str or None
        ``张**`` for 张三 or 张三丰, ``欧阳**`` for a compound surname, the
        first letter and two stars for a name in Latin letters (None and ""
        are returned as they are).

    Examples
    --------
    >>> mask_name("张三")
    '张**'
    >>> mask_name("欧阳修")
    '欧阳**'
    >>> mask_name("Li Lei")
    'L**'
    """
    if not name:
        return name
    name = name.strip()
    if not name:
        return name
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]
    return f"{surname}**"


def mask_email(email: str | None) -> str | None:
    """An e-mail address with its mailbox hidden but the first letter.

    Examples
    --------
    >>> mask_email("zhangsan@example.cn")
    'z***@example.cn'
    >>> mask_email("no address") is None
    True
    """
    if not email:
        return email
    box, at, domain = email.strip().partition("@")
    if not at or not box or not domain:
        return None  # not an address: nothing of it is shown
    return f"{box[0]}***@{domain}"


def mask_phones_in_text(text: str | None) -> str | None:
    """Free text with every mobile and landline number masked where it stands.

    Mobile numbers are recognised with or without +86 and with spaces or
    dashes between their groups (138 1234 5678); landlines need their area
    code (0577-88123456, (0577)88123456). Longer runs of digits (a grid code,
    an identity number) and dates are left alone.

    Parameters
    ----------
    text : str or None

    Returns
    -------
    str or None

    Examples
    --------
    >>> mask_phones_in_text("楼下漏水，请联系王先生13812345678或0577-88123456")
    '楼下漏水，请联系王先生138****5678或0577-****3456'
    >>> mask_phones_in_text("网格 330399001001001，2026-11-01 报")
    '网格 330399001001001，2026-11-01 报'
    """
    if not text:
        return text
    return _IN_TEXT.sub(lambda m: mask_phone(m.group()) or "", text)
