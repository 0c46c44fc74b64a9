"""``gridgis staff …`` on a PostGIS store (``postgresql://…`` as STORE)."""

import json

from typer.testing import CliRunner

from gridgis.cli import app
from gridgis.people.passwords import verify_password
from gridgis.people.roster import write_roster
from gridgis.sample import sample_roster

runner = CliRunner()
PASSWORD = "grid2026ok"


def staff(*args, input=None):
    return runner.invoke(app, ["staff", *map(str, args)], input=input)


def test_staff_commands_on_a_postgis_store(postgis, small_layers, small_gpkg, tmp_path):
    roster = write_roster(sample_roster(small_layers), tmp_path / "r.csv")
    n = len(sample_roster(small_layers))
    imported = staff("import", postgis.spec, roster, "--layers", small_gpkg)
    assert imported.exit_code == 0, imported.output
    assert f"新增 {n}" in imported.stdout
    added = staff("add", postgis.spec, "--id", "wg01", "--name", "唐欣", "--role", "网格员",
                  "--grade", "网格长", "--grid", "330399001001001", "--password-stdin",
                  input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert staff("disable", postgis.spec, "qx01").exit_code == 0
    listed = json.loads(staff("list", postgis.spec, "--role", "command_centre", "--format",
                              "json").stdout)
    assert [r["staff_id"] for r in listed] == ["qx02", "qx03"]
    store = postgis.open()
    assert store.staff.count() == n + 1
    assert verify_password(PASSWORD, store.staff.password_hash("wg01"))
    assert store.staff.password_hash("qx01") is None
    store.close()
