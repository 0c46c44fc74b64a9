from __future__ import annotations

import pandas as pd
import pytest

from gridgis.analysis import patrol_coverage, patrol_level_review, patrol_summary
from gridgis.errors import LayerError


def test_coverage_by_hand(tiny_zones, tiny_incidents):
    cov = patrol_coverage(tiny_zones, tiny_incidents, weeks=4)
    assert cov.index.equals(tiny_zones.index)
    assert cov["area_km2"].tolist() == pytest.approx([1, 1, 1, 1], rel=1e-6)
    assert cov["incidents"].tolist() == [4, 2, 1, 0]
    assert cov["incidents_per_km2"].tolist() == pytest.approx([4, 2, 1, 0], rel=1e-6)
    assert cov["visits_per_week"].tolist() == [7, 2, 1, 1]
    assert cov["patrol_visits"].tolist() == [28, 8, 4, 4]
    assert cov["incidents_per_visit"].tolist() == pytest.approx([4 / 28, 2 / 8, 1 / 4, 0])


def test_visits_are_configurable(tiny_zones, tiny_incidents):
    cov = patrol_coverage(tiny_zones, tiny_incidents, weeks=4,
                          visits_per_week={"medium": 3})
    assert cov["visits_per_week"].tolist() == [7, 3, 1, 1]
    with pytest.raises(ValueError, match=">= 0"):
        patrol_coverage(tiny_zones, tiny_incidents, visits_per_week={"low": -1})
    odd = tiny_zones.assign(level=["high", "medium", "low", "sometimes"])
    with pytest.raises(ValueError, match="sometimes"):
        patrol_coverage(odd, tiny_incidents)


def test_summary_by_hand(tiny_zones, tiny_incidents):
    table = patrol_summary(patrol_coverage(tiny_zones, tiny_incidents, weeks=4))
    assert table.index.tolist() == ["high", "medium", "low"]
    assert table["area_share"].tolist() == pytest.approx([0.25, 0.25, 0.5])
    assert table["incident_share"].tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert table["incidents_per_km2"].tolist() == pytest.approx([4, 2, 0.5], rel=1e-6)
    assert table["incidents_per_visit"].tolist() == pytest.approx([4 / 28, 2 / 8, 1 / 8])
    assert table["patrol_km2_per_week"].tolist() == pytest.approx([7, 2, 2], rel=1e-6)


def test_level_review_by_hand():
    cov = pd.DataFrame({
        "level": ["high"] * 4 + ["medium"] * 5 + ["low"] * 4,
        "incidents_per_km2": [100, 120, 140, 0.5, 20, 30, 40, 50, 150, 1, 2, 3, 60],
        "incidents": [100, 120, 140, 1, 20, 30, 40, 50, 150, 1, 2, 3, 60],
    }, index=[f"z{i}" for i in range(13)])
    review = patrol_level_review(cov)
    # high: q75 of [0.5, 100, 120, 140] = 125; medium q75 = 50; low q10 = 1.3
    assert review.loc["z8", "suggested_level"] == "high"  # medium at 150 >= 125
    assert review.loc["z12", "suggested_level"] == "medium"  # low at 60 >= 50, < 125
    assert review.loc["z3", "suggested_level"] == "low"  # a high zone with almost none
    assert review.loc["z3", "change"] == "lower" and "quantile" in review.loc["z3", "reason"]
    assert (review.drop(index=["z3", "z8", "z12"])["change"] == "keep").all()
    few = cov.assign(incidents=cov["incidents"].where(cov.index != "z8", 4))
    assert patrol_level_review(few).loc["z8", "change"] == "keep"  # below min_incidents


def test_review_needs_coverage(tiny_zones):
    with pytest.raises(LayerError, match="patrol_coverage first"):
        patrol_level_review(tiny_zones)
