"""FeatureTable: each filter against pandas/shapely on the layer, kept results, bad values."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import shapely

from gridgis.errors import FilterError
from gridgis.feature_table import FeatureTable, Interval, layer_table
from gridgis.people.access import Scope


@pytest.fixture(scope="module")
def table(sample_layers):
    return layer_table("incidents", sample_layers.incidents)


def test_the_examples_run():
    result = doctest.testmod(importlib.import_module("gridgis.feature_table"))
    assert result.attempted > 0 and result.failed == 0


def test_no_filter_keeps_every_row_in_layer_order(table, sample_layers):
    rows = table.select()
    np.testing.assert_array_equal(rows, np.arange(len(sample_layers.incidents)))


def test_each_filter_matches_pandas(table, sample_layers):
    frame = sample_layers.incidents
    box = (120.60, 27.95, 120.66, 28.00)
    inside = shapely.intersects(frame.geometry.values, shapely.box(*box))
    np.testing.assert_array_equal(table.select(bbox=box), np.flatnonzero(inside))
    start, end = np.datetime64("2026-03-01T00:00"), np.datetime64("2026-03-08T12:30")
    t = frame["reported_at"].to_numpy()
    in_time = (t >= start) & (t <= end)
    np.testing.assert_array_equal(table.select(interval=Interval(start, end)),
                                  np.flatnonzero(in_time))
    np.testing.assert_array_equal(table.select(interval=Interval(None, end)),
                                  np.flatnonzero(t <= end))
    d01 = (frame["category"] == "D01").to_numpy()
    np.testing.assert_array_equal(table.select(equals={"category": "D01"}), np.flatnonzero(d01))
    both = table.select(bbox=box, interval=Interval(start, None), equals={"category": "D01"})
    np.testing.assert_array_equal(both, np.flatnonzero(inside & (t >= start) & d01))
    assert len(table.select(equals={"category": "nothing"})) == 0


def test_a_scope_keeps_its_area_and_its_unit(table, sample_layers):
    frame = sample_layers.incidents
    community = frame["community_code"].dropna().iloc[0]
    unit = frame["unit_id"].dropna().iloc[-1]
    expected = frame["grid_code"].fillna("").str.startswith(community) | (frame["unit_id"] == unit)
    got = table.select(scope=Scope(area_codes=(community,), unit_ids=(unit,)))
    np.testing.assert_array_equal(got, np.flatnonzero(expected.to_numpy()))
    first, last = table.time_extent(got)
    assert (first, last) == (frame["reported_at"][expected].min(),
                             frame["reported_at"][expected].max())
    assert len(table.select(scope=Scope())) == 0


def test_results_are_kept_for_the_next_page_and_read_only(table):
    first = table.select(equals={"category": "E02"})
    assert table.select(equals={"category": "E02"}) is first
    with pytest.raises(ValueError):
        first[0] = 1


def test_values_are_read_as_the_column_type(table):
    assert table.value_of("escalation_level", "2") == 2
    assert table.value_of("has_photos", "true") is True
    assert table.value_of("category", "D01") == "D01"
    for column, text in (("escalation_level", "two"), ("has_photos", "yes"),
                         ("description", "x"), ("nothing", "x")):
        with pytest.raises(FilterError) as caught:
            table.value_of(column, text)
        assert caught.value.field == column


def test_a_layer_without_time_ignores_the_interval(sample_layers):
    grids = FeatureTable(sample_layers.grids)
    assert len(grids.select(interval=Interval(np.datetime64("1990-01-01"), None))) == \
        len(sample_layers.grids)
    assert grids.time_extent() is None
    assert grids.extent() == pytest.approx(tuple(sample_layers.grids.total_bounds))
