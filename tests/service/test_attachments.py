"""Uploads through the API: types, limits, stages, who sees what, the trail, no 5xx."""

import io

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from api import create_app
from api.routes.attachments import AttachmentOut
from api.settings import Settings
from gridgis.store import SQLiteStore
from gridgis.store.trail import verify_store_file
from tests.attachments.media import HEIC_FILE, HTML, exe, jpeg, mp4, noisy_jpeg, png
from tests.service.conftest import OPEN311_KEYS, district_roster
from tests.service.test_incidents import act, report

PROBLEM = "application/problem+json"


def post(client, iid, data, *, stage="report", name="photo.jpg", headers=None,
         content_type="image/jpeg", **form):
    return client.post(f"/incidents/{iid}/attachments", headers=headers,
                       files={"file": (name, data, content_type)}, data={"stage": stage} | form)


@pytest.fixture
def dispatched(client, inside_point, small_layers):
    """An incident of the inside point, accepted and dispatched to the first unit."""
    iid = report(client, inside_point).json()["incident_id"]
    assert act(client, iid, "accept", "community").status_code == 200
    unit = small_layers.units["unit_id"].iloc[0]
    assert act(client, iid, "dispatch", "community", unit_id=unit).status_code == 200
    return client.get(f"/incidents/{iid}").json()


def other_grid_worker(desk, incident):
    return next(p for p in desk.people.values()
                if p.role == "grid_worker" and incident["grid_code"] not in p.grids)


def other_unit(desk, incident):
    return next(p for p in desk.people.values()
                if p.role == "unit" and p.unit_id != incident["unit_id"])


def test_a_photo_is_uploaded_listed_and_served(client, dispatched, inside_point):
    iid = dispatched["incident_id"]
    data = jpeg((1600, 1200), lonlat=(inside_point["lon"], inside_point["lat"]))
    assert len(data) > 16_384  # more than the service's body limit: uploads are let through
    r = post(client, iid, data, stage="before", name="现场/IMG_1.JPG", note="处置前")
    assert r.status_code == 201, r.text
    body = AttachmentOut.model_validate(r.json())
    assert (body.stage_name, body.kind, body.media_type, body.width, body.height) == (
        "处置前", "image", "image/jpeg", 1600, 1200)
    assert body.far is False and body.distance_m < 1 and body.original_name == "IMG_1.JPG"
    assert r.headers["location"] == body.href == f"/attachments/{body.attachment_id}"
    listed = client.get(f"/incidents/{iid}/attachments")
    assert listed.status_code == 200 and [a["attachment_id"] for a in listed.json()] == [
        body.attachment_id]
    got = client.get(body.href)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["cache-control"].startswith("private")
    thumb = client.get(body.thumbnail_href)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["cache-control"].startswith("private")
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)
    again = post(client, iid, data, stage="before")
    assert again.status_code == 200 and again.json()["attachment_id"] == body.attachment_id


def test_types_are_judged_by_their_bytes(client, dispatched):
    iid = dispatched["incident_id"]
    r = post(client, iid, png(), name="photo.jpg", content_type="image/jpeg")
    assert r.status_code == 201 and r.json()["media_type"] == "image/png"
    r = post(client, iid, HEIC_FILE.read_bytes(), name="IMG_0001.HEIC",
             content_type="application/octet-stream")
    assert r.status_code == 201 and r.json()["media_type"] == "image/heic"
    assert r.json()["exif_lon"] is not None and r.json()["far"] is True  # taken elsewhere
    r = post(client, iid, mp4(), name="clip.mp4", content_type="video/mp4")
    assert r.status_code == 201
    video = r.json()
    assert video["thumbnail_href"] is None and "视频无缩略图" in video["thumbnail_note"]
    assert client.get(f"/attachments/{video['attachment_id']}/thumbnail").status_code == 404
    served = client.get(video["href"])
    assert served.headers["content-type"] == "video/mp4" and served.content == mp4()
    for data, name, named in ((exe(), "photo.jpg", "Windows"), (HTML, "photo.png", "HTML")):
        r = post(client, iid, data, name=name, content_type="image/jpeg")
        assert r.status_code == 415, r.text
        assert r.headers["content-type"] == PROBLEM and r.json()["field"] == "file"
        assert named in r.json()["detail"]
    cut = jpeg((800, 600))
    r = post(client, iid, cut[:len(cut) // 2])
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert len(client.get(f"/incidents/{iid}/attachments").json()) == 3


def test_bad_stage_and_missing_parts(client, dispatched):
    iid = dispatched["incident_id"]
    r = post(client, iid, jpeg(), stage="later")
    assert r.status_code == 422 and r.json()["field"] == "stage"
    assert "处置后" in r.json()["detail"]
    r = client.post(f"/incidents/{iid}/attachments", data={"stage": "report"})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = client.post(f"/incidents/{iid}/attachments", files={"file": ("a.jpg", jpeg())})
    assert r.status_code == 422 and r.json()["field"] == "stage"
    r = post(client, iid, jpeg(), note="长" * 2001)
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = post(client, "E20261102-9999", jpeg())
    assert r.status_code == 404


@pytest.fixture
def tight(small_layers, tmp_path, clock):
    """A service whose attachments may be 50 kB (photos) and 80 kB (videos)."""
    store = SQLiteStore(tmp_path / "tight.incidents.sqlite")
    store.staff.save_many(district_roster(small_layers))
    app = create_app(Settings(attachment_max_bytes=50_000, attachment_video_max_bytes=80_000,
                              attachment_far_m=50, attachments_folder=tmp_path / "elsewhere"),
                     layers=small_layers, store=store, clock=clock)
    county = next(p for p in district_roster(small_layers) if p.role == "command_centre")
    with TestClient(app, raise_server_exceptions=False, headers={
            "Authorization": f"Bearer {app.state.tokens.issue(county)}"}) as c:
        yield c, tmp_path
    store.close()


def test_oversize_is_refused_and_the_limits_are_settings(tight, inside_point):
    client, folder = tight
    iid = report(client, inside_point).json()["incident_id"]
    big = noisy_jpeg((300, 300))
    assert len(big) > 80_000
    r = post(client, iid, big)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert r.json()["field"] == "file"
    clip = mp4(payload=60_000)
    r = post(client, iid, clip, name="clip.mp4", content_type="video/mp4")
    assert r.status_code == 201, r.text  # a video may be larger than a photo here
    photo = noisy_jpeg((220, 220))
    assert 50_000 < len(photo) < 80_000
    r = post(client, iid, photo, name="clip.mp4", content_type="video/mp4")
    assert r.status_code == 413  # a photo, by its bytes, whatever it claims to be
    assert "50000" in r.json()["detail"]
    near = jpeg((200, 150), lonlat=(inside_point["lon"], inside_point["lat"] + 0.001))
    r = post(client, iid, near)
    assert r.status_code == 201 and r.json()["far"] is True  # 111 m > 50 m
    r = client.post(f"/incidents/{iid}/attachments", content=b"x" * 300_000,
                    headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413  # beyond the largest file and the room for the form
    files = sorted(p.name for p in (folder / "elsewhere").rglob("*") if p.is_file())
    assert len(files) == 3  # the video, the photo and its thumbnail; in the folder set
    assert not (folder / "tight.attachments").exists()


def test_the_larger_body_is_for_uploads_only(client, inside_point):
    big = {"lon": inside_point["lon"], "lat": inside_point["lat"], "category": "D01",
           "description": "长" * 9000, "source": "hotline"}
    r = client.post("/incidents", json=big)
    assert r.status_code == 413
    iid = report(client, inside_point).json()["incident_id"]
    r = client.post(f"/incidents/{iid}/transitions", content=b'{"action": "accept"}' + b" " *
                    20_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post(f"/incidents/{iid}/attachments", content=b"{}" + b" " * 20_000,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413  # the upload route admits more only for multipart bodies


def test_after_photos_are_for_the_unit_and_the_grid_worker(client, dispatched):
    iid = dispatched["incident_id"]
    desk = client.desk
    unit = desk.person_for("unit", dispatched)
    worker = desk.person_for("grid_worker", dispatched)
    for who in (unit, worker):
        r = post(client, iid, jpeg((100 + len(who), 80)), stage="after",
                 headers=desk.headers(who))
        assert r.status_code == 201, r.text
    for who in (desk.person_for("community", dispatched), desk.county.staff_id):
        r = post(client, iid, jpeg(), stage="after", headers=desk.headers(who))
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    r = post(client, iid, jpeg(), stage="progress", headers=desk.headers(unit))
    assert r.status_code == 201


def test_other_jurisdictions_neither_add_nor_see(client, dispatched):
    iid = dispatched["incident_id"]
    desk = client.desk
    aid = post(client, iid, jpeg()).json()["attachment_id"]
    for stranger in (other_grid_worker(desk, dispatched), other_unit(desk, dispatched)):
        headers = desk.headers(stranger.staff_id)
        assert post(client, iid, png(), headers=headers).status_code == 403
        assert client.get(f"/incidents/{iid}/attachments", headers=headers).status_code == 403
        for path in (f"/attachments/{aid}", f"/attachments/{aid}/thumbnail"):
            hidden = client.get(path, headers=headers)
            missing = client.get(path.replace(aid, "a" + "0" * 24), headers=headers)
            assert hidden.status_code == missing.status_code == 404
            assert hidden.json()["detail"].replace(aid, "X") == \
                missing.json()["detail"].replace("a" + "0" * 24, "X")
    for who in ("unit", "grid_worker", "community"):
        headers = desk.headers(desk.person_for(who, dispatched))
        assert client.get(f"/attachments/{aid}", headers=headers).status_code == 200
    with TestClient(client.app, raise_server_exceptions=False) as anonymous:
        assert anonymous.get(f"/attachments/{aid}").status_code == 401
        assert anonymous.get(f"/incidents/{iid}/attachments").status_code == 401


def test_uploads_are_in_the_history_and_the_trail_verifies(client, dispatched, store):
    iid = dispatched["incident_id"]
    version = dispatched["version"]
    post(client, iid, jpeg(), note="现场照片")
    post(client, iid, png(), stage="before")
    detail = client.get(f"/incidents/{iid}").json()
    assert detail["status"] == "dispatched" and detail["version"] == version + 2
    attach = [e for e in detail["events"] if e["action"] == "attach"]
    assert [e["note"] for e in attach] == ["现场照片", None]
    assert all(e["from_state"] == e["to_state"] == "dispatched" for e in attach)
    stale = act(client, iid, "start", "unit", version=version)
    assert stale.status_code == 409  # a photo moved the version on, as any change
    assert act(client, iid, "start", "unit").status_code == 200
    assert store.audit()[1] == []
    assert verify_store_file(store.path).intact


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.one_of(st.binary(max_size=3000),
                      st.binary(max_size=2000).map(lambda b: b"\xff\xd8\xff" + b),
                      st.binary(max_size=2000).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
                      st.binary(max_size=2000).map(lambda b: b"\x00\x00\x00\x18ftypheic" + b),
                      st.binary(max_size=2000).map(lambda b: b"\x00\x00\x00\x18ftypmif1" + b),
                      st.binary(max_size=2000).map(lambda b: b"\x00\x00\x00\x18ftypisom" + b)),
       stage=st.sampled_from(["report", "before", "after", "", "x" * 20]),
       name=st.text(max_size=300))
def test_no_bytes_make_a_server_error(fuzz_client, data, stage, name):
    client, iid = fuzz_client
    r = post(client, iid, data, stage=stage, name=name or "f")
    assert r.status_code in (200, 201, 403, 413, 415, 422), r.text
    if r.status_code >= 400:
        assert r.headers["content-type"] == PROBLEM
    if r.status_code in (413, 415, 422):
        assert r.json()["field"] in ("file", "stage", "body")


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=4000),
       content_type=st.sampled_from(["multipart/form-data; boundary=x",
                                     "multipart/form-data", "application/octet-stream",
                                     "multipart/form-data; boundary=" + "b" * 100]))
def test_no_raw_body_makes_a_server_error(fuzz_client, body, content_type):
    client, iid = fuzz_client
    r = client.post(f"/incidents/{iid}/attachments", content=body,
                    headers={"content-type": content_type})
    assert r.status_code in (400, 413, 422), r.text


@pytest.fixture(scope="module")
def fuzz_client(small_layers, tmp_path_factory):
    """One service for the generated uploads (hypothesis calls the test many times)."""
    import datetime as dt

    from tests.service.conftest import ManualClock

    store = SQLiteStore(tmp_path_factory.mktemp("fuzz") / "fuzz.incidents.sqlite")
    store.staff.save_many(district_roster(small_layers))
    app = create_app(Settings(max_body_bytes=16384, open311_keys=OPEN311_KEYS),
                     layers=small_layers, store=store,
                     clock=ManualClock(dt.datetime(2026, 11, 2, 9)))
    county = next(p for p in district_roster(small_layers) if p.role == "command_centre")
    grid = small_layers.grids.iloc[0].geometry.representative_point()
    with TestClient(app, raise_server_exceptions=False, headers={
            "Authorization": f"Bearer {app.state.tokens.issue(county)}"}) as c:
        iid = report(c, {"lon": grid.x, "lat": grid.y}).json()["incident_id"]
        yield c, iid
    store.close()
