import collections
import datetime as dt

from gridgis.dispatch import Dispatcher
from gridgis.dispatch.seed import seed_open_incidents
from gridgis.sample import SAMPLE_END
from gridgis.store import SQLiteStore


def test_open_archive_incidents_arrive_with_their_state_and_history(small_layers):
    now = SAMPLE_END.astype("datetime64[s]").item()
    d = Dispatcher(small_layers, SQLiteStore(":memory:"), clock=lambda: now)
    archive = small_layers.incidents
    open_ = archive[~archive["status"].isin(["closed", "rejected"])]
    assert seed_open_incidents(d, archive) == len(open_) > 10
    assert seed_open_incidents(d, archive) == 0  # idempotent
    page = d.incidents(limit=10_000)
    got = collections.Counter(i["status"] for i in page.items)
    assert got == collections.Counter(open_["status"])
    shelved = [i for i in page.items if i["status"] == "shelved"]
    # 1-3-0 "0": a shelved matter stays on the board, watched by its review limit
    assert shelved and all(i["stage"] == "review" and i["light"] != "none" for i in shelved)
    verified = next((i for i in page.items if i["status"] == "verified"), None)
    if verified is not None:
        actions = [e["action"] for e in d.incident(verified["incident_id"])["events"]]
        assert actions == ["report", "accept", "dispatch", "start", "resolve", "verify"]
    for item in page.items:  # the store's light agrees with the service's rule
        assert item["light"] == d.decorate(d.store.get(item["incident_id"]), now)["light"]
    assert now - dt.timedelta(days=400) < min(i["reported_at"] for i in page.items)
