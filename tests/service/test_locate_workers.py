from api.models import LocateResponse
from gridgis.people.roster import roster_members
from gridgis.sample import sample_roster


def test_locate_lists_the_grids_workers_from_the_directory(client, inside_point, small_layers):
    dispatcher = client.app.state.dispatcher
    roster = sample_roster(small_layers)
    dispatcher.store.staff.save_many(roster_members(roster))
    r = client.get("/locate", params={"lon": inside_point["lon"], "lat": inside_point["lat"]})
    assert r.status_code == 200
    body = LocateResponse.model_validate(r.json())
    ours = roster[roster["grids"] == inside_point["grid_code"]]
    assert body.grid_workers[0].staff_id in set(
        ours.loc[ours["grade"] == "grid_head", "staff_id"])
    phones = set(ours["phone"])
    assert all(w.phone and "****" in w.phone for w in body.grid_workers
               if w.staff_id in set(ours["staff_id"]))
    assert not any(p in r.text for p in phones)


def test_locate_without_staff_keeps_the_layer_names(client, inside_point):
    # the tests' roster has one worker a grid: without them, nobody active serves it
    client.app.state.dispatcher.store.staff.set_active(f"wg{inside_point['grid_code']}", False)
    r = client.get("/locate", params={"lon": inside_point["lon"], "lat": inside_point["lat"]})
    body = LocateResponse.model_validate(r.json())
    assert body.worker_names and [w.name for w in body.grid_workers] == \
        body.worker_names.split("、")
