"""GET /locate in a layer with an overlap: 200 with match=overlap and every grid involved."""

from __future__ import annotations

import shapely
from fastapi.testclient import TestClient

from api import create_app
from api.models import LocateResponse
from api.settings import Settings
from tests.planning import broken_layers
from tests.service.conftest import OPEN311_KEYS, Desk, district_roster


def test_locate_reports_an_overlap(small_layers, store, clock):
    broken, pair = broken_layers.overlap(small_layers)
    a, b = pair.split(",")
    store.staff.save_many(district_roster(broken))
    app = create_app(Settings(max_body_bytes=16384, open311_keys=OPEN311_KEYS),
                     layers=broken, store=store, clock=clock)
    desk = Desk(app, district_roster(broken))
    shared = shapely.intersection(broken.grids.loc[a, "geometry"],
                                  broken.grids.loc[b, "geometry"])
    p = shapely.point_on_surface(shared)
    with TestClient(app, raise_server_exceptions=False,
                    headers=desk.headers(desk.county.staff_id)) as client:
        r = client.get("/locate", params={"lon": p.x, "lat": p.y})
        assert r.status_code == 200, r.text
        body = LocateResponse.model_validate(r.json())
        assert body.match == "overlap" and body.overlap_codes == sorted([a, b])
        inside = broken.grids.loc[b, "geometry"].representative_point()
        plain = client.get("/locate", params={"lon": inside.x, "lat": inside.y}).json()
        assert plain["overlap_codes"] is None
