import doctest

import pytest

from gridgis.people import privacy
from gridgis.people.privacy import mask_name, mask_phone, mask_phones_in_text


def test_the_docstring_examples_hold():
    result = doctest.testmod(privacy)
    assert result.attempted >= 10 and result.failed == 0


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812341234", "138****1234"),
    ("138 1234 5678", "138****5678"),
    ("+8613812345678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("0577-88123456", "0577-****3456"),
    ("(0577)88123456", "0577-****3456"),
    ("02161234567", "021-****4567"),
    ("88123456", "****3456"),
    ("12345", "***45"),
    ("", ""),
    (None, None),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_a_masked_phone_never_shows_the_middle_digits():
    for phone in ("13912345678", "0577-88776655", "057788776655"):
        masked = mask_phone(phone)
        assert "****" in masked and "1234" not in masked and "8877" not in masked


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张**"), ("张三丰", "张**"), ("欧阳修", "欧阳**"), ("欧阳娜娜", "欧阳**"),
    ("欧阳", "欧**"), ("司马光", "司马**"), ("林", "林**"), ("  王芳 ", "王**"),
    ("Li Lei", "L**"), ("", ""), (None, None),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("联系13812345678", "联系138****5678"),
    ("电话：138-1234-5678，谢谢", "电话：138****5678，谢谢"),
    ("call +86 138 1234 5678 now", "call 138****5678 now"),
    ("手机１３９８７６５４３２１", "手机139****4321"),
    ("座机0577-88123456转", "座机0577-****3456转"),
    ("座机（0577）88123456", "座机0577-****3456"),
    ("两个号码13812345678和13987654321", "两个号码138****5678和139****4321"),
])
def test_phones_in_text_are_masked_where_they_stand(text, masked):
    assert mask_phones_in_text(text) == masked


@pytest.mark.parametrize("text", [
    "网格 330399001001001 有积水",      # a grid code: 15 digits
    "身份证 330302199001011234",        # an identity number
    "2026-11-01 09:30 报告",            # a date
    "12345 热线转来，编号 20261101093000",
    "金额 12000000 元",                 # 8 digits without an area code
    "138123456789",                     # 12 digits: not a mobile
    "",
])
def test_other_numbers_are_left_alone(text):
    assert mask_phones_in_text(text) == text


def test_none_text_stays_none():
    assert mask_phones_in_text(None) is None
