"""Schemathesis on the /baseinfo operations: no 5xx, documented statuses and bodies.

Signed in as a grid worker (who may write in their grid), as the county
(who reads and is refused writes) and anonymous; positive and negative input.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import GenerationMode

from api import create_app
from api.settings import Settings
from gridgis.baseinfo import load_sample
from gridgis.store import SQLiteStore
from tests.service.conftest import Desk, ManualClock, district_roster
from tests.service.test_schemathesis import Tally, _fuzz_operation, _report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(small_layers, small_baseinfo, tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("fuzz") / "s.sqlite")
    load_sample(store.engine, small_baseinfo)
    roster = district_roster(small_layers)
    store.staff.save_many(roster)
    app = create_app(Settings(), layers=small_layers, store=store,
                     clock=ManualClock(dt.datetime(2026, 12, 2, 9, 0)))
    desk = Desk(app, roster)
    people = small_baseinfo.people
    grid = people["grid_code"].iloc[0]
    known = {"kind": ["people", "addresses", "houses", "orgs"],
             "record_id": [people["person_id"].iloc[0],
                           small_baseinfo.addresses["address_id"].iloc[0],
                           small_baseinfo.houses["house_id"].iloc[0],
                           small_baseinfo.orgs["org_id"].iloc[0]]}
    with TestClient(app):
        yield app, desk, f"wg{grid}", known
    store.close()


@pytest.mark.parametrize("who", ["grid_worker", "county", "anonymous"])
def test_baseinfo_operations_answer_as_documented(service, who, capsys):
    app, desk, worker, known = service
    headers = {"grid_worker": lambda: desk.headers(worker),
               "county": lambda: desk.headers(desk.county.staff_id),
               "anonymous": dict}[who]()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/baseinfo"):
            continue
        if who == "county" and operation.path.endswith("export.xlsx"):
            continue  # the whole district's workbook: tested for a grid, fuzzed as one below
        _fuzz_operation(operation, GenerationMode.POSITIVE, headers, known, tally)
        if list(operation.query) or list(operation.body):
            _fuzz_operation(operation, GenerationMode.NEGATIVE, headers, known, tally)
    with capsys.disabled():
        print(f"\n{_report(who, tally)}")
    assert len(tally.requests) == (9 if who == "county" else 10)
    assert not tally.failures, "\n\n".join(
        f"{key} × {n}:\n{tally.samples[key]}" for key, n in tally.failures.items())
