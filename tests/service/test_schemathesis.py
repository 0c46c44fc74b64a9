"""Schemathesis against the service's own OpenAPI document (issue 15, item 8).

Every operation is called with generated input twice: signed in as the
county command centre (who sees and may do most) and anonymous; with valid
input (positive) and, where the operation takes a query or a body, invalid
input (negative). Every answer must be no 5xx, carry a documented status and
media type, match the documented schema and headers. A few examples per
operation, derandomized, keep the run short and the same each time; the
figures are printed (``-s`` not needed) for the closing note.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.settings import Settings
from gridgis.store import SQLiteStore
from tests.service.conftest import OPEN311_KEYS, Desk, ManualClock, district_roster

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
EXAMPLES = 15
"""Generated requests per operation, identity and mode (a mode that runs out stops sooner)."""
INTAKE = "POST /open311/v2/requests.json"
AIM = {"POST /incidents": ("lon", "lat", "category"), INTAKE: ("long", "lat", "service_code")}
"""Body fields that half the generated reports take from the district (else all are 422)."""
GATEWAY = {"POST /sensors/{device_id}/alarms", "POST /sensors/{device_id}/heartbeat"}
"""Operations the sensor gateway calls with its key (X-Api-Key) when signed in as the county."""


@dataclass
class Tally:
    """What a run did: requests per operation, failures per check, a sample of each."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    samples: dict[tuple[str, str, str], str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def service(small_layers, tmp_path_factory):
    """The service on a store file with the roster and a few incidents; known ids to aim at."""
    store = SQLiteStore(tmp_path_factory.mktemp("fuzz") / "incidents.sqlite")
    roster = district_roster(small_layers)
    for person in roster:
        store.staff.save(person)
    # high limits: the fuzzer is one client, and 429 is not what it is here to find
    app = create_app(Settings(open311_keys=OPEN311_KEYS, signin_per_minute=10_000,
                              intake_per_minute=100_000),
                     layers=small_layers, store=store,
                     clock=ManualClock(dt.datetime(2026, 11, 2, 9, 0)))
    desk = Desk(app, roster)
    county = desk.headers(desk.county.staff_id)
    ids = []
    with TestClient(app) as client:
        for grid, category in zip(small_layers.grids.itertuples(), ("D01", "S01", "E01"),
                                  strict=False):
            point = grid.geometry.representative_point()
            r = client.post("/incidents", headers=county, json={
                "lon": point.x, "lat": point.y, "category": category,
                "description": "井盖缺失，联系电话 13800138000", "source": "hotline"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["incident_id"])
        moved = client.post(f"/incidents/{ids[0]}/transitions", headers=county,
                            json={"action": "accept"})
        assert moved.status_code == 200, moved.text
    known = {
        "incident_id": ids, "request_id": ids,
        "collection_id": ["grids", "incidents", "units"],
        "feature_id": [str(small_layers.grids.index[0])],
        "point": [point.x, point.y],
        "device_id": list(small_layers.sensors["device_id"].iloc[:3]),
    }
    yield app, county, known
    store.close()


def _strategy(operation: Any, mode: GenerationMode, known: dict[str, list[str]]) -> Any:
    """Generated cases, half of them aimed at ids the store and the layers hold."""
    names = [p.name for p in operation.path_parameters]
    generated = operation.as_strategy(generation_mode=mode)
    if not names or any(n not in known for n in names):
        return generated
    aimed = [operation.as_strategy(generation_mode=mode,
                                   path_parameters={n: known[n][i % len(known[n])]
                                                    for n in names})
             for i in range(max(len(known[n]) for n in names))]
    if names == ["collection_id", "feature_id"]:
        aimed = [operation.as_strategy(generation_mode=mode, path_parameters={
            "collection_id": "grids", "feature_id": known["feature_id"][0]})]
    return st.one_of(generated, *aimed)


def _fuzz_operation(operation: Any, mode: GenerationMode, headers: dict[str, str],
                    known: dict[str, list[str]], tally: Tally) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, mode, known), aim=st.booleans())
    def run(case: Any, aim: bool) -> None:
        if operation.label in AIM and aim and isinstance(case.body, dict):
            lon, lat, category = AIM[operation.label]
            case.body = {**case.body, lon: known["point"][0], lat: known["point"][1],
                         category: "D01"}
        if operation.label == INTAKE and headers and isinstance(case.body, dict):
            case.body = {**case.body, "api_key": OPEN311_KEYS["app"]}  # a channel's post
        sent = headers | ({"X-Api-Key": OPEN311_KEYS["sensor"]}  # the sensor gateway's post
                          if headers and operation.label in GATEWAY else {})
        response = case.call(headers=sent)
        tally.requests[operation.label] += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=sent)
        except FailureGroup as group:  # counted, not raised: no shrinking, every check seen
            for failure in group.exceptions:
                key = (operation.label, mode.value, failure.title)
                tally.failures[key] += 1
                tally.samples.setdefault(key, (
                    f"{case.method} {case.formatted_path} query={case.query!r} "
                    f"body={case.body!r} → {response.status_code} {response.text[:300]}\n"
                    f"{failure}"))

    run()


def _fuzz(app: Any, headers: dict[str, str], known: dict[str, list[str]]) -> Tally:
    """Every operation of the document, positive and (where it takes input) negative."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz_operation(operation, GenerationMode.POSITIVE, headers, known, tally)
        if list(operation.query) or list(operation.body):
            _fuzz_operation(operation, GenerationMode.NEGATIVE, headers, known, tally)
    return tally


def _report(who: str, tally: Tally) -> str:
    checks = Counter(title for (_, _, title), n in tally.failures.items() for _ in range(n))
    return (f"schemathesis ({who}): {len(tally.requests)} operations, "
            f"{sum(tally.requests.values())} requests; statuses "
            f"{dict(sorted(tally.statuses.items()))}; failures by check: "
            f"{dict(checks) or 0}")


@pytest.mark.parametrize("who", ["county", "anonymous"])
def test_every_operation_answers_as_documented(service, who, capsys):
    app, county, known = service
    tally = _fuzz(app, county if who == "county" else {}, known)
    with capsys.disabled():
        print(f"\n{_report(who, tally)}")
    operations = sum(len(methods) for methods in app.openapi()["paths"].values())
    assert len(tally.requests) == operations
    assert not tally.failures, "\n\n".join(
        f"{key} × {n}:\n{tally.samples[key]}" for key, n in tally.failures.items())
