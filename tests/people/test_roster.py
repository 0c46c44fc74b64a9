import csv

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from gridgis.errors import RosterError, StaffError
from gridgis.people.roles import Grade, StaffRole
from gridgis.people.roster import (
    CHINESE_HEADERS,
    MAX_LISTED_PROBLEMS,
    check_in_district,
    load_roster,
    parse_grade,
    parse_role,
    read_roster,
    roster_frame,
    roster_members,
    roster_path_for,
    write_roster,
)
from gridgis.people.staff import StaffMember
from gridgis.sample import sample_roster

HEADER = list(CHINESE_HEADERS.values())


@pytest.fixture(scope="module")
def roster(small_layers):
    return sample_roster(small_layers)


def _csv(path, rows, header=HEADER, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_with_chinese_headers(roster, small_layers, tmp_path, suffix):
    path = write_roster(roster, tmp_path / f"r{suffix}")
    if suffix == ".csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
        assert raw[3:].decode().splitlines()[0] == ",".join(HEADER)
        assert "网格长" in raw.decode("utf-8-sig") and "grid_head" not in raw.decode("utf-8-sig")
    else:
        sheet = load_workbook(path).worksheets[0]
        assert [c.value for c in sheet[1]] == HEADER
        cells = {h: c.value for h, c in zip(HEADER, sheet[2], strict=True)}
        assert isinstance(cells["电话"], str) and isinstance(cells["网格"], str)  # text in Excel
        assert cells["单位编号"] is None
    members = load_roster(path, layers=small_layers)
    assert members == roster_members(roster)
    back = read_roster(path)
    assert back.index.tolist() == list(range(2, len(roster) + 2))
    pd.testing.assert_frame_equal(roster_frame(members), roster, check_dtype=False)


def test_round_trip_with_english_headers(roster, tmp_path):
    path = write_roster(roster_members(roster), tmp_path / "r.csv", chinese=False)
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == (
        "staff_id,name,role,grade,area_code,unit_id,phone,grids")
    assert load_roster(path) == roster_members(roster)


def test_excel_numbers_a_title_row_and_extra_columns(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["样板区网格员名册（2026 年 11 月）"])
    sheet.append(["*工号", "姓名", "角色", "类别", "网格", "手机", "备注"])
    sheet.append(["wg00100100101", "唐欣", "网格员", "网格长", 330399001001001, 13812345678,
                  "组长"])
    sheet.append([None, None, None])
    sheet.append(["wg00100100102", "郑鹏静", "grid_worker", "兼职", "330399001001001",
                  "138 1234 0000", None])
    book.save(tmp_path / "r.xlsx")
    frame = read_roster(tmp_path / "r.xlsx")
    assert frame.index.tolist() == [3, 5]
    assert frame.loc[3, "grids"] == "330399001001001" and frame.loc[3, "phone"] == "13812345678"
    head, other = roster_members(frame)
    assert head.grade is Grade.GRID_HEAD and other.grade is Grade.PART_TIME
    assert head.area_code == "330399001001"  # the community of the grid, when not given
    assert other.phone == "13812340000"


def test_a_gbk_csv_from_excel_on_chinese_windows(tmp_path):
    path = _csv(tmp_path / "r.csv", [["jd00101", "徐红佳", "乡镇(街道)综治中心", "", "330399001"]],
                header=HEADER[:5], encoding="gbk")
    (member,) = load_roster(path)
    assert member.name == "徐红佳" and member.role is StaffRole.TOWNSHIP


@pytest.mark.parametrize(("value", "role"), [
    ("grid_worker", StaffRole.GRID_WORKER), ("网格员", StaffRole.GRID_WORKER),
    ("社区(村)综治中心", StaffRole.COMMUNITY), ("社区（村）综治中心", StaffRole.COMMUNITY),
    ("县(区)综治中心", StaffRole.COMMAND_CENTRE), ("Command_Centre", StaffRole.COMMAND_CENTRE),
    ("承办单位", StaffRole.UNIT), ("系统管理员", StaffRole.ADMIN)])
def test_roles_in_english_or_chinese(value, role):
    assert parse_role(value) is role


@pytest.mark.parametrize(("value", "grade"), [
    ("grid_head", Grade.GRID_HEAD), ("网格长", Grade.GRID_HEAD), ("专职", Grade.FULL_TIME),
    ("专职网格员", Grade.FULL_TIME), ("兼职", Grade.PART_TIME), ("信息员", Grade.INFORMANT),
    ("", None)])
def test_grades_in_english_or_chinese(value, grade):
    assert parse_grade(value) is grade


def test_unknown_role_and_grade_name_the_field():
    with pytest.raises(StaffError, match="未知角色") as exc:
        parse_role("区长")
    assert exc.value.field == "role"
    with pytest.raises(StaffError, match="unknown grade") as exc:
        parse_grade("组长")
    assert exc.value.field == "grade"


BAD_ROWS = [
    ["wg00100100101", "唐欣", "网格员", "网格长", "330399001001", "", "13812345678",
     "330399001001001"],                                                          # row 2: fine
    ["wg00100100102", "郑鹏静", "区长", "", "330399001001", "", "", ""],         # 3 role
    ["wg00100100103", "郑东", "网格员", "", "330399001001", "", "", "330399001001001"],  # 4 grade
    ["sq00100101", "冯斌", "社区(村)综治中心", "", "330399001001", "", "call me", ""],   # 5 phone
    ["wg00100100101", "唐欣", "网格员", "网格长", "330399001001", "", "",
     "330399001001001"],                                                          # 6 repeats 2
    ["wg00100100104", "夏桂", "网格员", "专职", "330399001001", "", "",
     "330399001001999"],                                                          # 7 no grid
    ["dw999901", "余春", "承办单位", "", "330399001", "U9999", "", ""],          # 8 no unit
    ["qx01", "任红磊", "县(区)综治中心", "", "330398", "", "", ""],              # 9 no county
    ["jd00101", "徐红佳", "乡镇(街道)综治中心", "", "330399001", "", "1.38123E+10", ""],  # 10
    ["", "", "", "", "", "", "", ""],                                             # blank
    ["x", "无名", "网格员", "专职", "330399001001", "", "", "330399001001001"],    # 12 id
]


def test_every_bad_row_is_reported_at_once(small_layers, tmp_path):
    layers = small_layers
    path = _csv(tmp_path / "bad.csv", BAD_ROWS)
    with pytest.raises(RosterError) as exc:
        load_roster(path, layers=layers)
    problems = [(row, field) for row, field, _ in exc.value.problems]
    assert problems == [(3, "role"), (4, "grade"), (5, "phone"), (6, "staff_id"), (7, "grids"),
                        (8, "unit_id"), (9, "area_code"), (10, "phone"), (12, "staff_id")]
    message = str(exc.value)
    assert message.startswith("名册有 9 处错误，未写入任何人 / 9 problem(s)")
    assert "第 7 行 / row 7 [grids]" in message and "330399001001999" in message
    assert "与第 2 行重复" in message and "科学计数法" in message
    assert exc.value.field == "role" and isinstance(exc.value, StaffError)


def test_without_layers_codes_are_not_looked_up(tmp_path):
    path = _csv(tmp_path / "r.csv", [BAD_ROWS[5], BAD_ROWS[6], BAD_ROWS[7]])
    assert [m.staff_id for m in load_roster(path)] == ["wg00100100104", "dw999901", "qx01"]


def test_a_long_list_of_problems_is_cut_in_the_message(tmp_path):
    rows = [[f"p{i:03d}", "某人", "区长"] for i in range(45)]
    path = _csv(tmp_path / "r.csv", rows, header=["工号", "姓名", "角色"])
    with pytest.raises(RosterError) as exc:
        load_roster(path)
    assert len(exc.value.problems) == 45
    lines = str(exc.value).splitlines()
    assert len(lines) == 1 + MAX_LISTED_PROBLEMS + 1
    assert lines[-1].strip() == "…… 另有 25 处 / … and 25 more"


@pytest.mark.parametrize(("header", "field", "match"), [
    (["工号", "姓名", "角色", "密码"], "password", "never holds passwords"),
    (["staff_id", "name", "role", "Password"], "password", "不能含密码列"),
    (["工号", "姓名"], "role", "缺少列 角色"),
    (["工号", "姓名", "角色", "staff_id"], "staff_id", "appears twice"),
    (["编号", "名字", "职务"], "staff_id", "no header row"),
])
def test_files_that_are_not_rosters(tmp_path, header, field, match):
    path = _csv(tmp_path / "r.csv", [["a1", "某人", "网格员", "x"]], header=header)
    with pytest.raises(StaffError, match=match) as exc:
        read_roster(path)
    assert exc.value.field == field


def test_other_formats_and_broken_files(tmp_path):
    with pytest.raises(StaffError, match=r"\.csv or \.xlsx"):
        read_roster(_csv(tmp_path / "r.xls", []))
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(StaffError, match=r"cannot be opened as an \.xlsx"):
        read_roster(tmp_path / "broken.xlsx")
    with pytest.raises(FileNotFoundError):
        read_roster(tmp_path / "none.csv")
    with pytest.raises(StaffError, match=r"\.csv or \.xlsx"):
        write_roster([], tmp_path / "r.txt")


def test_check_in_district(small_layers):
    grid = small_layers.grids["code"].iloc[0]
    good = StaffMember("wg1", "唐欣", StaffRole.GRID_WORKER, grid[:12], grade=Grade.FULL_TIME,
                       grids=(grid,))
    check_in_district(good, small_layers)
    bad = StaffMember("dw1", "余春", StaffRole.UNIT, unit_id="U9999")
    with pytest.raises(StaffError, match="no unit U9999") as exc:
        check_in_district(bad, small_layers)
    assert exc.value.field == "unit_id"


def test_roster_path_for():
    assert roster_path_for("/data/district.gpkg").name == "district.roster.csv"


def test_progress_counts_every_row(roster):
    seen = []
    roster_members(roster, progress=seen.append)
    assert sum(seen) == len(roster)
