"""``gridgis staff …`` end to end through typer's test runner."""

import json
import shutil
import sqlite3
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from gridgis.cli import app
from gridgis.cli.serve import _demo_staff
from gridgis.people.passwords import verify_password
from gridgis.people.roster import write_roster
from gridgis.sample import DEMO_PASSWORD, sample_roster
from gridgis.store import SQLiteStore, store_path_for

runner = CliRunner()
PASSWORD = "grid2026ok"


def staff(*args, input=None):
    return runner.invoke(app, ["staff", *map(str, args)], input=input)


@pytest.fixture(scope="module")
def roster_csv(small_layers, tmp_path_factory):
    return write_roster(sample_roster(small_layers), tmp_path_factory.mktemp("r") / "r.csv")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "incidents.sqlite"


@pytest.fixture
def loaded(db, roster_csv, small_gpkg):
    result = staff("import", db, roster_csv, "--layers", small_gpkg)
    assert result.exit_code == 0, result.output
    return db


def directory(path):
    store = SQLiteStore(path)
    return store.staff


def test_help_lists_the_commands():
    result = runner.invoke(app, ["staff", "--help"])
    assert result.exit_code == 0
    for command in ("add", "import", "list", "disable", "enable", "password", "export"):
        assert command in result.stdout


def test_import_adds_then_updates(loaded, roster_csv, small_layers):
    n = len(sample_roster(small_layers))
    assert directory(loaded).count() == n
    again = staff("import", loaded, roster_csv)
    assert again.exit_code == 0, again.output
    assert f"新增 0，更新 {n}" in again.stdout and f"{n} updated" in again.stdout


def test_import_shows_progress_for_large_rosters(db, sample_layers, tmp_path):
    path = write_roster(sample_roster(sample_layers), tmp_path / "big.xlsx")
    result = staff("import", db, path)
    assert result.exit_code == 0, result.output
    assert "写入 / saving" in result.stderr and "检查 / checking" in result.stderr
    assert directory(db).count() > 2500
    quiet = staff("import", db, path, "--quiet")
    assert quiet.exit_code == 0 and "saving" not in quiet.stderr


def test_a_bad_roster_writes_nothing_and_lists_every_bad_row(db, tmp_path, small_gpkg):
    bad = tmp_path / "bad.csv"
    bad.write_text("工号,姓名,角色,类别,网格\n"
                   "wg1,唐欣,网格员,网格长,330399001001001\n"
                   "wg2,郑东,区长,,\n"
                   "wg3,夏桂,网格员,专职,330399999999001\n", encoding="utf-8-sig")
    result = staff("import", db, bad, "--layers", small_gpkg)
    assert result.exit_code == 2
    assert "未写入任何人" in result.stderr
    assert "row 3 [role]" in result.stderr and "row 4 [grids]" in result.stderr
    assert "Traceback" not in result.output
    assert directory(db).count() == 0


def test_a_district_geopackage_as_store(tmp_path, small_gpkg, roster_csv):
    gpkg = shutil.copy(small_gpkg, tmp_path / "d.gpkg")
    result = staff("import", gpkg, roster_csv)
    assert result.exit_code == 0, result.output
    assert directory(store_path_for(gpkg)).count() > 0
    listed = staff("list", gpkg, "--role", "县(区)综治中心", "--format", "json")
    assert [p["staff_id"] for p in json.loads(listed.stdout)] == ["qx01", "qx02", "qx03"]
    wrong = staff("add", gpkg, "--id", "wg9", "--name", "某人", "--role", "网格员", "--grade",
                  "专职", "--grid", "330399999999001", "--password-stdin", input=PASSWORD)
    assert wrong.exit_code == 2 and "no grid 330399999999001" in wrong.stderr


def test_add_with_the_password_on_stdin(db):
    result = staff("add", db, "--id", "wg01", "--name", "唐欣", "--role", "网格员", "--grade",
                   "网格长", "--grid", "330399001001001", "--phone", "13812345678",
                   "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "已添加 wg01" in result.stdout
    people = directory(db)
    member = people.find("wg01")
    assert member.area_code == "330399001001" and member.grids == ("330399001001001",)
    assert verify_password(PASSWORD, people.password_hash("wg01"))
    again = staff("add", db, "--id", "wg01", "--name", "唐欣", "--role", "admin", "--area",
                  "330399", "--password-stdin", input=f"{PASSWORD}\n")
    assert again.exit_code == 2 and "已存在" in again.stderr


def test_add_asks_for_the_password_twice(db):
    ok = staff("add", db, "--id", "qx01", "--name", "陈静", "--role", "command_centre",
               "--area", "330399", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert ok.exit_code == 0, ok.output
    assert PASSWORD not in ok.stdout  # a hidden prompt does not echo
    assert verify_password(PASSWORD, directory(db).password_hash("qx01"))
    differ = staff("add", db, "--id", "qx02", "--name", "陈静", "--role", "command_centre",
                   "--area", "330399", input=f"{PASSWORD}\nsomething9else\n")
    assert differ.exit_code == 2 and "两次输入的密码不一致" in differ.stderr
    assert directory(db).find("qx02") is None


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--role", "区长", "--area", "330399"], PASSWORD, "未知角色"),
    (["--role", "grid_worker", "--grid", "330399001001001"], PASSWORD, "needs a grade"),
    (["--role", "township", "--area", "330399"], PASSWORD, "辖区代码 '330399' 应为 9 位数字"),
    (["--role", "admin", "--area", "330399"], "short1", "letters and digits"),
    (["--role", "admin", "--area", "330399"], "", "no password on standard input"),
])
def test_add_refuses_bad_input_in_one_line(db, args, stdin, message):
    result = staff("add", db, "--id", "p01", "--name", "某人", *args, "--password-stdin",
                   input=stdin)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("错误 / error:")


def test_list_masks_phones_in_every_format(loaded, small_layers):
    roster = sample_roster(small_layers)
    phone = roster["phone"].iloc[0]
    for fmt in ("table", "csv", "json"):
        result = staff("list", loaded, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert phone not in result.stdout
        assert f"{phone[:3]}****{phone[-4:]}" in result.stdout
    rows = json.loads(staff("list", loaded, "--format", "json").stdout)
    assert len(rows) == len(roster)
    csv_lines = staff("list", loaded, "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "staff_id,name,role,grade,area_code,unit_id,phone,grids,active"
    assert len(csv_lines) == len(roster) + 1


def test_list_filters_by_role_and_area(loaded, small_layers):
    community = small_layers.communities["code"].iloc[0]
    rows = json.loads(staff("list", loaded, "--area", community, "--format", "json").stdout)
    assert rows and all(r["area_code"].startswith(community) for r in rows)
    heads = json.loads(staff("list", loaded, "--role", "网格员", "--area", community,
                             "--format", "json").stdout)
    assert {r["role"] for r in heads} == {"grid_worker"} and len(heads) < len(rows)
    bad = staff("list", loaded, "--role", "区长")
    assert bad.exit_code == 2 and "未知角色" in bad.stderr


def test_disable_enable_and_reset_the_password(loaded):
    people = directory(loaded)
    people.set_password_hash("qx01", "old")
    assert staff("disable", loaded, "qx01").exit_code == 0
    assert people.password_hash("qx01") is None  # a disabled person cannot sign in
    active = json.loads(staff("list", loaded, "--role", "command_centre", "--format",
                              "json").stdout)
    assert [r["staff_id"] for r in active] == ["qx02", "qx03"]
    everyone = json.loads(staff("list", loaded, "--role", "command_centre", "--all",
                                "--format", "json").stdout)
    assert (everyone[0]["staff_id"], everyone[0]["active"]) == ("qx01", False)
    assert staff("enable", loaded, "qx01").exit_code == 0
    result = staff("password", loaded, "qx01", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert verify_password(PASSWORD, people.password_hash("qx01"))
    missing = staff("disable", loaded, "nobody")
    assert missing.exit_code == 2 and "没有工号 nobody" in missing.stderr


def test_export_then_import_again(loaded, tmp_path):
    out = tmp_path / "out.xlsx"
    result = staff("export", loaded, out)
    assert result.exit_code == 0, result.output
    other = tmp_path / "other.sqlite"
    again = staff("import", other, out)
    assert again.exit_code == 0, again.output
    assert directory(other).members() == directory(loaded).members()


def test_a_missing_or_damaged_store_is_one_clear_line(tmp_path):
    missing = staff("list", tmp_path / "none.sqlite")
    assert missing.exit_code == 2 and "没有这个数据库" in missing.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    damaged = staff("list", junk)
    assert damaged.exit_code == 2
    assert len(damaged.stderr.strip().splitlines()) == 1
    assert "cannot be opened as an incident store" in damaged.stderr
    no_gpkg = staff("list", tmp_path / "none.gpkg")
    assert no_gpkg.exit_code == 2 and "no such file" in no_gpkg.stderr


def test_serve_demo_loads_the_sample_roster_into_an_empty_directory(small_layers, capsys):
    store = SQLiteStore(":memory:")
    _demo_staff(SimpleNamespace(store=store, layers=small_layers))
    printed = capsys.readouterr().err
    assert DEMO_PASSWORD in printed
    for account in ("wg00100100101", "qx01", "fx01", "gh01", "gl01"):
        assert account in printed
    assert verify_password(DEMO_PASSWORD, store.staff.password_hash("qx01"))
    _demo_staff(SimpleNamespace(store=store, layers=small_layers))
    again = capsys.readouterr().err
    assert DEMO_PASSWORD not in again and "未载入样例名册" in again
    store.close()


def test_the_store_keeps_no_plain_password(db):
    staff("add", db, "--id", "gl01", "--name", "吴勇", "--role", "admin", "--area", "330399",
          "--password-stdin", input=PASSWORD)
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert PASSWORD not in dump and "$argon2" in dump
