"""The sensor kind table: shipped values, checks, thresholds."""

import pandas as pd
import pytest

from gridgis import CategoryError, load_categories
from gridgis.schemas import SENSOR_KINDS
from gridgis.sensors import alarm_text, level_of, load_sensor_kinds


def test_the_shipped_table():
    kinds = load_sensor_kinds()
    assert list(dict.fromkeys(kinds.index)) == list(SENSOR_KINDS)
    assert kinds.loc["smoke", "category"] == "S03" and kinds.loc["gas", "category"] == "S04"
    assert kinds.loc["water_level", "category"] == "E01"
    assert kinds.loc["manhole_cover", "category"] == "S02"
    assert kinds.loc["fume", "category"] == "E03"
    assert set(kinds["category"]) <= set(load_categories().index)
    assert kinds.loc["fume", "threshold"] == 2.0 and kinds.loc["gas", "unit"] == "%LEL"
    assert (kinds["heartbeat_minutes"] > 0).all()


def test_levels_and_text():
    kinds = load_sensor_kinds()
    assert level_of(kinds, "gas", 19.9) is None
    assert level_of(kinds, "gas", 20.0)["category"] == "S04"
    text = alarm_text(level_of(kinds, "manhole_cover", 32), device_id="JG0001",
                      name="沿街井盖1号", reading=32)
    assert text == "井盖报警：沿街井盖1号（JG0001）倾斜角 32°，超过阈值 15°"


def _write(tmp_path, edit):
    table = load_sensor_kinds().reset_index(drop=True).astype(str)
    path = tmp_path / "kinds.csv"
    edit(table).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.drop(columns="unit"), "missing column"),
    (lambda t: t.assign(kind=t["kind"].replace("fume", "radar")), "kind must be one of"),
    (lambda t: t[t["kind"] != "gas"], "no row for gas"),
    (lambda t: t.assign(threshold=t["threshold"].where(t["kind"] != "gas", "high")),
     "finite number"),
    (lambda t: t.assign(threshold=t["threshold"].where(t["kind"] != "gas", "inf")),
     "finite number"),
    (lambda t: pd.concat([t, t[t["kind"] == "gas"]]), "repeats a threshold"),
    (lambda t: t.assign(category=t["category"].where(t["kind"] != "gas", "Z99")),
     "not in the category table"),
    (lambda t: t.assign(heartbeat_minutes=t["heartbeat_minutes"].where(t["kind"] != "gas", "0")),
     "positive whole number"),
    (lambda t: pd.concat([t, t[t["kind"] == "gas"].assign(threshold="50",
                                                         heartbeat_minutes="5")]),
     "different heartbeat_minutes"),
])
def test_bad_tables_are_refused_naming_the_kind(tmp_path, edit, message):
    with pytest.raises(CategoryError, match=message) as caught:
        load_sensor_kinds(_write(tmp_path, edit))
    assert " / " in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(CategoryError, match="no such file"):
        load_sensor_kinds(tmp_path / "nope.csv")
