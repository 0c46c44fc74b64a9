import datetime as dt

import pytest

from gridgis import load_categories
from gridgis.dispatch import WorkingCalendar, deadlines_for, light_of

T = dt.datetime
CATS = load_categories()


def test_calendar_time_is_1_3_0():
    d = deadlines_for(T(2026, 11, 6, 10), CATS.loc["D01"])
    assert d.respond_by == T(2026, 11, 7, 10)
    assert d.progress_by == T(2026, 11, 9, 10)
    assert d.resolve_by == T(2026, 11, 21, 10)


def test_working_time_skips_weekends_and_holidays():
    cal = WorkingCalendar(holidays={dt.date(2026, 11, 10)})
    d = deadlines_for(T(2026, 11, 6, 10), CATS.loc["D01"], calendar=cal)  # a Friday
    assert d.respond_by == T(2026, 11, 9, 10)  # Monday
    assert d.progress_by == T(2026, 11, 12, 10)  # Mon, (Tue off), Wed, Thu


def test_make_up_workday_counts():
    cal = WorkingCalendar(workdays={dt.date(2026, 11, 7)})  # a Saturday worked
    assert cal.add(T(2026, 11, 6, 10), dt.timedelta(days=1)) == T(2026, 11, 7, 10)


def test_report_on_a_weekend_starts_counting_on_monday():
    cal = WorkingCalendar()
    assert cal.add(T(2026, 11, 7, 15), dt.timedelta(hours=4)) == T(2026, 11, 9, 4)
    assert cal.elapsed(T(2026, 11, 7, 15), T(2026, 11, 9, 4)) == dt.timedelta(hours=4)


def test_urgent_matters_count_calendar_time():
    d = deadlines_for(T(2026, 11, 7, 10), CATS.loc["S01"], calendar=WorkingCalendar())
    assert d.respond_by == T(2026, 11, 7, 10, 15)
    assert d.resolve_by == T(2026, 11, 8, 10)


def test_bad_calendar():
    with pytest.raises(ValueError, match="weekend"):
        WorkingCalendar(weekend=range(7))


@pytest.mark.parametrize(("hours", "light"), [(0, "green"), (7.9, "green"), (8, "yellow"),
                                               (10, "yellow"), (10.01, "red")])
def test_lights(hours, light):
    t0 = T(2026, 11, 2, 9)
    now = t0 + dt.timedelta(hours=hours)
    assert light_of(now, t0, t0 + dt.timedelta(hours=10)) == light


def test_light_share_is_configurable_and_checked():
    t0 = T(2026, 11, 2, 9)
    due = t0 + dt.timedelta(hours=10)
    assert light_of(t0 + dt.timedelta(hours=6), t0, due, yellow_share=0.5) == "yellow"
    assert light_of(t0, t0, None) == "none"
    with pytest.raises(ValueError):
        light_of(t0, t0, due, yellow_share=1.5)


def test_light_in_working_time():
    cal = WorkingCalendar()
    start = T(2026, 11, 6, 0)  # Friday
    due = cal.add(start, dt.timedelta(days=2))  # Tuesday 00:00
    # Monday noon: 1.5 of 2 working days used (75 %) -> still green in working time,
    # but 3.5 of 4 calendar days (87.5 %) -> yellow when weekends count
    assert light_of(T(2026, 11, 9, 12), start, due, calendar=cal) == "green"
    assert light_of(T(2026, 11, 9, 12), start, due) == "yellow"
