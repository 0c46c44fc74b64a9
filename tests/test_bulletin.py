"""The bulletin library: periods (half-months, months, days, the one before), examples."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib

import pytest

from gridgis.bulletin.period import Period, half_month, parse_period
from gridgis.errors import InputError

D = dt.date


@pytest.mark.parametrize(("start", "end", "label", "previous"), [
    (D(2026, 10, 1), D(2026, 10, 15), "2026年10月上半月", (D(2026, 9, 16), D(2026, 9, 30))),
    (D(2026, 3, 16), D(2026, 3, 31), "2026年3月下半月", (D(2026, 3, 1), D(2026, 3, 15))),
    (D(2026, 1, 1), D(2026, 1, 15), "2026年1月上半月", (D(2025, 12, 16), D(2025, 12, 31))),
    (D(2026, 3, 1), D(2026, 3, 31), "2026年3月", (D(2026, 2, 1), D(2026, 2, 28))),
    (D(2026, 3, 3), D(2026, 3, 12), "2026-03-03 至 2026-03-12",
     (D(2026, 2, 21), D(2026, 3, 2))),
])
def test_labels_and_the_period_before(start, end, label, previous):
    p = Period(start, end)
    assert p.label == label
    assert (p.previous().start, p.previous().end) == previous


def test_half_months():
    assert half_month(D(2028, 2, 29)) == Period(D(2028, 2, 16), D(2028, 2, 29))
    assert half_month(D(2026, 5, 15)) == Period(D(2026, 5, 1), D(2026, 5, 15))
    assert parse_period("2026-10-16", "2026-10-16").days == 1


@pytest.mark.parametrize(("start", "end", "field", "words"), [
    ("2026-10-16", "2026-10-15", "to", "早于"),
    ("tomorrow", "2026-10-15", "from", "不是日期"),
    ("2026-10-01", "2026-02-30", "to", "不是日期"),
    ("2024-01-01", "2026-01-01", "to", "最长 366 天"),
    ("1969-12-31", "1970-01-02", "from", "超出"),
    ("2199-12-30", "9999-12-31", "to", "超出"),
])
def test_bad_periods_name_their_field(start, end, field, words):
    with pytest.raises(InputError, match=words) as caught:
        parse_period(start, end, fields=("from", "to"))
    assert caught.value.field == field


@pytest.mark.parametrize("module", ["gridgis.bulletin", "gridgis.bulletin.period",
                                    "gridgis.bulletin.columns"])
def test_the_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
