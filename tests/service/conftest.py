"""An API client over the small sample district with a clock the tests move."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore

OPEN311_KEYS = {"app": "app-key-0123456789abcdef", "hotline": "hotline-key-0123456789",
                "sensor": "sensor-gateway-key-0123456789"}
"""The intake channels' keys of the tests' service (the sensor gateway's too)."""


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 2, 9, 0))


def district_roster(layers) -> list[StaffMember]:
    """One person per grid, community, township and unit, the county, an analyst, an admin.

    Ids say whom they serve: ``wg<grid>``, ``sq<community>``, ``jd<township>``,
    ``dw<unit>``, ``qx<county>``.
    """
    county = layers.townships["code"].iloc[0][:6]
    people = [StaffMember(f"wg{g.code}", f"网格员{g.code[-3:]}", "grid_worker",
                          g.community_code, grade="grid_head", grids=(g.code,))
              for g in layers.grids.itertuples()]
    people += [StaffMember(f"sq{c}", f"社区{c[-3:]}", "community", c)
               for c in layers.communities["code"]]
    people += [StaffMember(f"jd{t}", f"街道{t[-3:]}", "township", t)
               for t in layers.townships["code"]]
    people += [StaffMember(f"dw{u}", f"单位{u}", "unit", unit_id=u)
               for u in layers.units["unit_id"]]
    people += [StaffMember(f"qx{county}", "县指挥中心", "command_centre", county),
               StaffMember("fx01", "分析员", "analyst", county),
               StaffMember("gh01", "规划员", "planner", county),
               StaffMember("gl01", "管理员", "admin", county)]
    return people


class Desk:
    """Tokens of the roster's people, and who of them stands how to an incident."""

    def __init__(self, app, people: list[StaffMember]) -> None:
        self.app = app
        self.people = {p.staff_id: p for p in people}
        self.county = next(p for p in people if p.role == "command_centre")

    def headers(self, staff_id: str) -> dict[str, str]:
        token = self.app.state.tokens.issue(self.people[staff_id])
        return {"Authorization": f"Bearer {token}"}

    def person_for(self, role: str, incident: dict) -> str:
        """The id of the person of ``role`` responsible for ``incident``."""
        units = [p for p in self.people.values() if p.role == "unit"]
        unit = f"dw{incident['unit_id']}" if incident.get("unit_id") else units[0].staff_id
        return {"grid_worker": f"wg{incident['grid_code']}",
                "community": f"sq{incident['community_code']}",
                "township": f"jd{incident['township_code']}",
                "unit": unit, "command_centre": self.county.staff_id}.get(role, role)


def upload_site_photo(client: TestClient, incident_id: str, headers: dict[str, str], *,
                      stage: str = "verify") -> dict:
    """Upload a photo of the site (a real JPEG) to an incident as the person of ``headers``."""
    from tests.attachments.media import jpeg

    r = client.post(f"/incidents/{incident_id}/attachments", headers=headers,
                    files={"file": ("site.jpg", jpeg((320, 240)), "image/jpeg")},
                    data={"stage": stage})
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "incidents.sqlite")
    yield s
    s.close()


@pytest.fixture
def app(small_layers, store, clock):
    store.staff.save_many(district_roster(small_layers))  # one transaction
    return create_app(Settings(max_body_bytes=16384, open311_keys=OPEN311_KEYS),
                      layers=small_layers, store=store, clock=clock)


@pytest.fixture
def desk(app, small_layers) -> Desk:
    return Desk(app, district_roster(small_layers))


@pytest.fixture
def client(app, desk):
    """A client signed in as the county command centre (sees all, reports anywhere)."""
    with TestClient(app, raise_server_exceptions=False,
                    headers=desk.headers(desk.county.staff_id)) as c:
        c.desk = desk
        yield c


@pytest.fixture
def anonymous(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def inside_point(small_layers):
    """A point well inside the first urban grid, with that grid's codes."""
    grids = small_layers.grids
    grid = grids.iloc[len(grids) // 2]
    p = grid.geometry.representative_point()
    return {"lon": p.x, "lat": p.y, "grid_code": grid["code"],
            "community_code": grid["community_code"]}
