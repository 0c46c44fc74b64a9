import pandas as pd
import pytest

from gridgis import CategoryError, load_categories
from gridgis._data_tables import read_data_table
from gridgis.categories import PLATFORMS, UNIT_KIND_NAMES, UNIT_KIND_PLATFORM, UNIT_KINDS


def test_default_table_matches_the_design():
    table = load_categories()
    # the design's 19, S05 (a silent sensor, gridgis.sensors) and the emergencies X02–X05
    # that start plans of their own (gridgis.dispatch.plans)
    assert len(table) == 24
    assert table.loc["D04", "priority"] == "high"
    assert table.loc["S05", "name_zh"] == "物联感知设备离线/故障"
    assert table.loc["X01", "unit_kinds"] == ("police_station", "emergency",
                                              "mediation_committee")
    assert table.loc["D01", "respond"] == pd.Timedelta(days=1)  # "1-3-0"
    assert table.loc["D01", "progress"] == pd.Timedelta(days=3)
    assert table.loc["S01", "respond"] == pd.Timedelta(minutes=15)
    assert set(table["platform"]) == set(PLATFORMS)
    assert (table.loc[["X02", "X03", "X04", "X05"], "respond"] == pd.Timedelta(minutes=15)).all()
    kinds = {k for ks in table["unit_kinds"] for k in ks}
    assert kinds <= set(UNIT_KINDS) == set(UNIT_KIND_PLATFORM) == set(UNIT_KIND_NAMES)


def _write(tmp_path, edit):
    table, _ = read_data_table(None, "categories.csv")  # the shipped table, as text
    table = edit(table)
    path = tmp_path / "categories.csv"
    table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.assign(platform=t["platform"].where(t["code"] != "M01", "markets")),
         "platform must be one of"),
        (lambda t: t.drop(columns="priority"), "missing column(s) priority"),
        (lambda t: t.assign(respond_hours=t["respond_hours"].where(t["code"] != "D02", "999")),
         "respond ≤ progress ≤ resolve"),
        (lambda t: pd.concat([t, t.iloc[[0]]]), "appears more than once"),
        (lambda t: t.assign(unit_kinds=t["unit_kinds"].where(t["code"] != "E02", " ; ")),
         "unit_kinds is empty"),
        (lambda t: t.assign(resolve_hours=t["resolve_hours"].where(t["code"] != "E02", "soon")),
         "positive numbers of hours"),
    ],
)
def test_bad_tables_are_refused_with_the_category(tmp_path, edit, message):
    with pytest.raises(CategoryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_categories(_write(tmp_path, edit))


def test_missing_file(tmp_path):
    with pytest.raises(CategoryError, match="no such file"):
        load_categories(tmp_path / "nope.csv")


def test_user_table_replaces_the_default(tmp_path):
    path = _write(tmp_path, lambda t: t[t["code"].isin(["D01", "S01"])])
    assert list(load_categories(path).index) == ["D01", "S01"]
