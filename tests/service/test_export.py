"""``GET /export/incidents``: the list as Excel or CSV, in Chinese, within the jurisdiction."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from api.routes.export import COLUMNS


def _report(client, point, text, category="D01"):
    r = client.post("/incidents", json={"lon": point["lon"], "lat": point["lat"],
                                        "category": category, "description": text,
                                        "source": "hotline",
                                        "reporter": {"name": "欧阳娜娜", "phone": "13912345678"}})
    assert r.status_code == 201, r.text
    return r.json()


def test_csv_has_every_matching_row_in_chinese_and_no_contact(client, inside_point):
    made = [_report(client, inside_point, f"楼上噪音扰民{i}") for i in range(3)]
    made.append(_report(client, inside_point, "=HYPERLINK(\"http://x\")"))
    r = client.get("/export/incidents", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "incidents.csv" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    ids = {row[0] for row in table[1:]}
    assert {m["incident_id"] for m in made} <= ids
    listed = client.get("/incidents", params={"limit": 1}).json()["matched"]
    assert len(table) - 1 == listed
    row = next(r for r in table[1:] if r[0] == made[0]["incident_id"])
    assert row[2] == "待受理" and row[4] in {"紧急", "较急", "一般"}
    text = r.content.decode("utf-8-sig")
    assert "13912345678" not in text and "欧阳娜娜" not in text
    formula = next(r for r in table[1:] if r[0] == made[-1]["incident_id"])
    assert formula[10].startswith("'=")  # written as text, never run as a formula


def test_xlsx_opens_with_the_same_rows_and_filters_apply(client, inside_point):
    made = _report(client, inside_point, "井盖缺失", category="E02")
    r = client.get("/export/incidents", params={"format": "xlsx", "category": "E02"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert tuple(values[0]) == COLUMNS
    assert [v[0] for v in values[1:]] == [made["incident_id"]]
    e02 = next(c for c in client.get("/categories").json() if c["code"] == "E02")
    assert values[1][1] == e02["name_zh"]


def test_export_is_scoped_and_checked(client, anonymous, inside_point):
    _report(client, inside_point, "占道经营")
    assert anonymous.get("/export/incidents").status_code == 401
    assert client.get("/export/incidents", params={"format": "pdf"}).status_code == 422
    assert client.get("/export/incidents", params={"light": "blue"}).status_code == 422
    # a township elsewhere sees none of it
    others = [p for p in client.desk.people.values() if p.role == "township"
              and not inside_point["grid_code"].startswith(p.area_code)]
    if others:
        r = client.get("/export/incidents", params={"format": "csv"},
                       headers=client.desk.headers(others[0].staff_id))
        assert r.status_code == 200
        assert len(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))) == 1


def test_control_characters_do_not_break_the_workbook(client, inside_point):
    made = _report(client, inside_point, "井盖\x01缺失\x1f")
    r = client.get("/export/incidents", params={"format": "xlsx"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    row = next(v for v in sheet.iter_rows(values_only=True) if v[0] == made["incident_id"])
    assert row[10] == "井盖缺失"
