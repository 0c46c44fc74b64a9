"""Tests for gridgis.codes: parsing, checking and issuing hierarchical codes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from gridgis.codes import (
    DEFAULT_SCHEME,
    LEVELS,
    CodeScheme,
    check_codes,
    check_hierarchy,
    child_code,
    level_of,
    parent_code,
    validate_code,
)
from gridgis.errors import CodeError, GridGisError

TABLE = {
    "district": "330304",
    "township": "330304001",
    "community": "330304001001",
    "grid": "330304001001007",
}


# -- scheme ---------------------------------------------------------------------------


def test_levels_and_default_lengths():
    assert LEVELS == ("district", "township", "community", "grid")
    assert [DEFAULT_SCHEME.length(lv) for lv in LEVELS] == [6, 9, 12, 15]
    assert CodeScheme() == DEFAULT_SCHEME


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, None])
def test_scheme_rejects_non_positive_or_non_int_digits(bad):
    with pytest.raises(CodeError, match="positive integer"):
        CodeScheme(grid=bad)


def test_scheme_is_frozen():
    with pytest.raises(AttributeError):
        DEFAULT_SCHEME.grid = 4  # type: ignore[misc]


def test_unknown_level_is_an_error():
    with pytest.raises(CodeError, match="unknown level 'village'"):
        DEFAULT_SCHEME.length("village")
    with pytest.raises(CodeError, match="unknown level"):
        DEFAULT_SCHEME.is_valid("330304", level="county")
    with pytest.raises(CodeError, match="unknown level"):
        check_codes(pd.Series(["330304"]), level="county")


# -- parsing the table's examples -----------------------------------------------------


@pytest.mark.parametrize(("level", "code"), TABLE.items())
def test_level_of_table_examples(level, code):
    assert level_of(code) == level
    assert DEFAULT_SCHEME.level_of(code) == level
    assert validate_code(code, level=level) == code
    assert DEFAULT_SCHEME.is_valid(code, level=level)


def test_validate_strips_whitespace():
    assert validate_code("  330304001001007\n", level="grid") == "330304001001007"
    assert level_of(" 330304 ") == "district"


def test_parent_and_ancestors():
    assert parent_code(TABLE["grid"]) == TABLE["community"]
    assert parent_code(TABLE["community"]) == TABLE["township"]
    assert parent_code(TABLE["township"]) == TABLE["district"]
    assert parent_code(TABLE["district"]) is None
    assert DEFAULT_SCHEME.ancestors(TABLE["grid"]) == {
        "district": "330304",
        "township": "330304001",
        "community": "330304001001",
    }
    assert list(DEFAULT_SCHEME.ancestors(TABLE["grid"])) == ["district", "township", "community"]
    assert DEFAULT_SCHEME.ancestors(TABLE["township"]) == {"district": "330304"}
    assert DEFAULT_SCHEME.ancestors(TABLE["district"]) == {}


def test_sequence():
    assert DEFAULT_SCHEME.sequence("330304001001007") == 7
    assert DEFAULT_SCHEME.sequence("330304012") == 12
    assert DEFAULT_SCHEME.sequence("330304201999") == 999


# -- custom scheme --------------------------------------------------------------------


def test_custom_scheme_four_digit_grid_sequence():
    scheme = CodeScheme(grid=4)
    assert scheme.length("grid") == 16
    assert scheme.level_of("3303040010010007") == "grid"
    assert scheme.parent("3303040010010007") == "330304001001"
    assert scheme.child("330304001001", 7) == "3303040010010007"
    assert scheme.child("330304001001", 9999) == "3303040010019999"
    assert scheme.sequence("3303040010011234") == 1234
    # a 15-digit code is no code at all under this scheme
    assert not scheme.is_valid("330304001001007")
    with pytest.raises(CodeError, match="a grid code has 16 digits"):
        scheme.validate("330304001001007", level="grid")
    # and the default scheme does not accept the 16-digit code
    assert not DEFAULT_SCHEME.is_valid("3303040010010007")
    s = pd.Series(["3303040010010007", "330304001001007"])
    assert check_codes(s, level="grid", scheme=scheme).tolist() == [True, False]
    assert check_codes(s, level="grid").tolist() == [False, True]
    assert validate_code("3303040010010007", scheme=scheme) == "3303040010010007"


def test_custom_scheme_other_levels():
    scheme = CodeScheme(district=4, township=2, community=2, grid=2)
    assert [scheme.length(lv) for lv in LEVELS] == [4, 6, 8, 10]
    assert scheme.ancestors("3303010203") == {
        "district": "3303",
        "township": "330301",
        "community": "33030102",
    }
    assert child_code("330301", 5, scheme=scheme) == "33030105"
    assert level_of("33030102", scheme=scheme) == "community"
    assert parent_code("33030102", scheme=scheme) == "330301"


# -- child ----------------------------------------------------------------------------


def test_child_is_zero_padded():
    assert child_code("330304001001", 7) == "330304001001007"
    assert child_code("330304001001", 42) == "330304001001042"
    assert child_code("330304001", 1) == "330304001001"
    assert child_code("330304", 999) == "330304999"
    assert child_code("330304001001", np.int64(3)) == "330304001001003"


@pytest.mark.parametrize("seq", [0, -1, 1000, 12345])
def test_child_overflow_and_non_positive(seq):
    with pytest.raises(CodeError, match="from 1 to 999"):
        child_code("330304001001", seq)


@pytest.mark.parametrize("seq", [1.0, "7", True, None])
def test_child_non_integer_sequence(seq):
    with pytest.raises(CodeError, match="not an integer"):
        child_code("330304001001", seq)


def test_grid_has_no_children():
    with pytest.raises(CodeError, match="no children"):
        child_code("330304001001007", 1)


def test_child_of_bad_parent():
    with pytest.raises(CodeError):
        child_code("33030400100", 1)


# -- validation messages --------------------------------------------------------------


def test_validate_message_for_wrong_length_grid():
    with pytest.raises(CodeError) as err:
        validate_code("33030400100", level="grid")
    msg = str(err.value)
    assert msg == (
        "grid code '33030400100' has 11 digits; a grid code has 15 digits: its community's "
        "12-digit code followed by a 3-digit sequence such as 001"
    )


@pytest.mark.parametrize(
    ("level", "expected"),
    [("district", "6 digits"), ("township", "9 digits"), ("community", "12 digits")],
)
def test_validate_message_names_expected_length(level, expected):
    with pytest.raises(CodeError, match=f"a {level} code has {expected}"):
        validate_code("1234567", level=level)


def test_validate_message_for_code_of_another_level():
    with pytest.raises(CodeError, match=r"has 9 digits \(a township code\); a grid code has 15"):
        validate_code("330304001", level="grid")


def test_validate_message_without_level_lists_lengths():
    with pytest.raises(CodeError) as err:
        validate_code("3303040")
    msg = str(err.value)
    assert "7 digits" in msg
    for part in ("6 (district)", "9 (township)", "12 (community)", "15 (grid)"):
        assert part in msg


@pytest.mark.parametrize(
    "code",
    [
        "33030400100A007",  # a letter
        "330304 001001007",  # a space inside
        "330304-001-001",  # separators
        "３３０３０４",  # full-width digits
        "33030400100١007",  # non-ASCII digit
        "+330304",
        "",
        "   ",
        None,
        330304,
        330304001001007.0,
        np.nan,
    ],
)
def test_bad_inputs_raise_code_error(code):
    with pytest.raises(CodeError):
        validate_code(code)
    with pytest.raises(CodeError):
        validate_code(code, level="grid")
    with pytest.raises(CodeError):
        level_of(code)
    with pytest.raises(CodeError):
        parent_code(code)
    assert not DEFAULT_SCHEME.is_valid(code)


def test_code_error_is_a_value_error():
    with pytest.raises(ValueError):
        validate_code("abc")
    with pytest.raises(GridGisError):
        validate_code("abc")


def test_messages_for_non_string_and_empty():
    with pytest.raises(CodeError, match=r"not a string.*dtype=str"):
        validate_code(330304)
    with pytest.raises(CodeError, match="empty"):
        validate_code("  ", level="grid")
    with pytest.raises(CodeError, match="other than the digits 0-9"):
        validate_code("33030400100A007", level="grid")


@pytest.mark.parametrize(
    ("code", "segment"),
    [
        ("330304001001000", "grid"),
        ("330304001000", "community"),
        ("330304000", "township"),
        ("000000", "district"),
        ("330304000001007", "township"),  # a zero segment in the middle
    ],
)
def test_all_zero_segment_rejected(code, segment):
    with pytest.raises(CodeError, match=f"all-zero {segment} segment"):
        validate_code(code)
    assert not DEFAULT_SCHEME.is_valid(code)


# -- check_parent ---------------------------------------------------------------------


def test_check_parent_accepts_direct_parent():
    for up, level in pairwise(LEVELS):
        assert DEFAULT_SCHEME.check_parent(TABLE[level], TABLE[up]) is None


def test_check_parent_rejects_other_parent():
    with pytest.raises(CodeError, match="does not extend community code 330304001002"):
        DEFAULT_SCHEME.check_parent("330304001001007", "330304001002")


def test_check_parent_rejects_grandparent_and_inverted():
    with pytest.raises(CodeError, match="level above a grid is a community"):
        DEFAULT_SCHEME.check_parent("330304001001007", "330304001")
    with pytest.raises(CodeError, match="cannot have"):
        DEFAULT_SCHEME.check_parent("330304001", "330304001001")
    with pytest.raises(CodeError, match="top level"):
        DEFAULT_SCHEME.check_parent("330304", "330304")


def test_check_parent_rejects_malformed():
    with pytest.raises(CodeError):
        DEFAULT_SCHEME.check_parent("33030400100100", "330304001001")
    with pytest.raises(CodeError):
        DEFAULT_SCHEME.check_parent("330304001001007", "33030400100x")


# -- next_free and issue --------------------------------------------------------------


def test_next_free_first_child():
    assert DEFAULT_SCHEME.next_free("330304001001", []) == "330304001001001"


def test_next_free_after_highest_with_gaps():
    existing = ["330304001001001", "330304001001004", "330304001001002"]
    assert DEFAULT_SCHEME.next_free("330304001001", existing) == "330304001001005"


def test_next_free_ignores_other_parents_levels_and_junk():
    existing = [
        "330304001001003",
        "330304001002999",  # another community
        "330304001001",  # the parent itself
        "3303040010010099",  # another length
        None,
        np.nan,
        "bad",
        " 330304001001004 ",  # whitespace is fine
    ]
    assert DEFAULT_SCHEME.next_free("330304001001", existing) == "330304001001005"


def test_next_free_accepts_a_series_and_generator():
    s = pd.Series(["330304001002", "330304001007"], index=[5, 9])
    assert DEFAULT_SCHEME.next_free("330304001", s) == "330304001008"
    gen = (f"330304001{i:03d}" for i in range(1, 4))
    assert DEFAULT_SCHEME.next_free("330304001", gen) == "330304001004"


def test_next_free_exhausted():
    existing = [f"330304001001{i:03d}" for i in range(1, 1000)]
    with pytest.raises(CodeError, match="999"):
        DEFAULT_SCHEME.next_free("330304001001", existing)
    # only the top one used still exhausts: gaps are not reused
    with pytest.raises(CodeError, match="998 unused sequence"):
        DEFAULT_SCHEME.next_free("330304001001", ["330304001001999"])
    assert DEFAULT_SCHEME.next_free("330304001001", existing[:-1]) == "330304001001999"


def test_next_free_with_wider_scheme_is_not_exhausted():
    scheme = CodeScheme(grid=4)
    existing = [f"330304001001{i:04d}" for i in range(1, 1000)]
    assert scheme.next_free("330304001001", existing) == "3303040010011000"


def test_issue_consecutive_codes_avoiding_existing():
    existing = ["330304001001001", "330304001001003"]
    new = DEFAULT_SCHEME.issue("330304001001", 3, existing=existing)
    assert new == ["330304001001004", "330304001001005", "330304001001006"]
    assert not set(new) & set(existing)
    assert DEFAULT_SCHEME.issue("330304001001", 2) == ["330304001001001", "330304001001002"]
    assert DEFAULT_SCHEME.issue("330304001001", 0) == []


def test_issue_is_all_or_nothing():
    existing = [f"330304001001{i:03d}" for i in range(1, 998)]
    assert DEFAULT_SCHEME.issue("330304001001", 2, existing=existing) == [
        "330304001001998",
        "330304001001999",
    ]
    with pytest.raises(CodeError, match="cannot issue 3"):
        DEFAULT_SCHEME.issue("330304001001", 3, existing=existing)


@pytest.mark.parametrize("n", [-1, 1.5, "2"])
def test_issue_bad_count(n):
    with pytest.raises(CodeError):
        DEFAULT_SCHEME.issue("330304001001", n)


def test_issue_under_grid_fails():
    with pytest.raises(CodeError, match="no children"):
        DEFAULT_SCHEME.issue("330304001001007", 1)


# -- vectorized checks ----------------------------------------------------------------


def test_check_codes_flags_exactly_bad_rows_and_keeps_index():
    s = pd.Series(
        [
            "330304001001007",
            "33030400100",  # short
            " 330304001001008 ",  # whitespace: fine
            "33030400100A007",  # letter
            None,
            "330304001001000",  # zero sequence
            "330304000001007",  # zero township segment
            np.nan,
            330304001001009,  # a number, not a string
            "330304 001001007",
        ],
        index=list("abcdefghij"),
        name="grid_code",
        dtype=object,
    )
    out = check_codes(s, level="grid")
    assert out.index.equals(s.index)
    assert out.name == "grid_code"
    assert out.dtype == bool
    assert out[out].index.tolist() == ["a", "c"]
    # the vectorized verdict agrees with is_valid row by row
    assert out.tolist() == [DEFAULT_SCHEME.is_valid(v, level="grid") for v in s]


def test_check_codes_levels_and_string_dtype():
    s = pd.Series(["330304", "330304001", "330304001001"], index=[30, 10, 20], dtype="string")
    s[10] = pd.NA
    out = check_codes(s, level="district")
    assert out.index.tolist() == [30, 10, 20]
    assert out.tolist() == [True, False, False]
    assert check_codes(s, level="community").tolist() == [False, False, True]


def test_check_codes_numeric_and_empty_series():
    assert not check_codes(pd.Series([330304, 330305]), level="district").any()
    empty = pd.Series([], dtype=object, index=pd.Index([], name="k"))
    out = check_codes(empty, level="grid")
    assert out.empty
    assert out.dtype == bool


def test_check_hierarchy_flags_exactly_bad_rows_and_keeps_index():
    df = pd.DataFrame(
        {
            "child": [
                "330304001001007",  # ok: grid in community
                "330304001002001",  # other community
                "330304001001",  # ok: community in township
                "330304001",  # ok: township in district
                "330304001001007",  # grandparent given
                None,  # null child
                "330304001001008",  # null parent
                "330304001001000",  # malformed child
                " 330304001001009",  # whitespace: fine
                "330304",  # district has no parent
            ],
            "parent": [
                "330304001001",
                "330304001001",
                "330304001",
                "330304",
                "330304001",
                "330304001001",
                None,
                "330304001001",
                "330304001001 ",
                "330304",
            ],
        },
        index=pd.Index([101, 55, 7, 3, 99, 12, 13, 14, 15, 16], name="row"),
    )
    out = check_hierarchy(df["child"], df["parent"])
    assert out.index.equals(df.index)
    assert out.dtype == bool
    assert out[out].index.tolist() == [101, 7, 3, 15]


def test_check_hierarchy_agrees_with_check_parent():
    children = pd.Series(["330304001001007", "330304002001007", "330304001"], index=[4, 5, 6])
    parents = pd.Series(["330304001001", "330304001001", "330305"], index=[4, 5, 6])
    out = check_hierarchy(children, parents)
    expected = []
    for c, p in zip(children, parents, strict=True):
        try:
            DEFAULT_SCHEME.check_parent(c, p)
        except CodeError:
            expected.append(False)
        else:
            expected.append(True)
    assert out.tolist() == expected == [True, False, False]


def test_check_hierarchy_custom_scheme():
    scheme = CodeScheme(grid=4)
    children = pd.Series(["3303040010010007", "330304001001007"])
    parents = pd.Series(["330304001001", "330304001001"])
    assert check_hierarchy(children, parents, scheme=scheme).tolist() == [True, False]
    assert check_hierarchy(children, parents).tolist() == [False, True]


def test_check_hierarchy_requires_same_index():
    children = pd.Series(["330304001001007"], index=[1])
    parents = pd.Series(["330304001001"], index=[2])
    with pytest.raises(CodeError, match="same index"):
        check_hierarchy(children, parents)


# -- the sample district follows the scheme -------------------------------------------


def test_sample_district_codes_follow_scheme(small_layers):
    grids = small_layers.grids
    communities = small_layers.communities
    townships = small_layers.townships
    assert check_codes(grids["code"], level="grid").all()
    assert check_hierarchy(grids["code"], grids["community_code"]).all()
    assert check_hierarchy(communities["code"], communities["township_code"]).all()
    assert check_hierarchy(townships["code"], townships["district_code"]).all()
