import datetime as dt

import pytest

from gridgis.attachments import AttachmentLimits, attachment_for, attachments_of, upload
from gridgis.attachments.service import public_photo
from gridgis.dispatch import Dispatcher
from gridgis.errors import (
    AccessDeniedError,
    AttachmentError,
    AttachmentNotFoundError,
    AttachmentTooLargeError,
    UnsupportedMediaError,
)
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore
from tests.attachments.media import HTML, exe, jpeg, mp4, png

NOW = dt.datetime(2026, 11, 2, 9)


@pytest.fixture
def district(small_layers, tmp_path):
    store = SQLiteStore(tmp_path / "district.incidents.sqlite")
    dispatcher = Dispatcher(small_layers, store, clock=lambda: NOW)
    grids = small_layers.grids
    mine, other = grids.iloc[0], grids.iloc[-1]
    point = mine.geometry.representative_point()
    incident, _ = dispatcher.report(lon=point.x, lat=point.y, category="E01",
                                    description="污水横流", source="app")
    iid = incident["incident_id"]
    units = small_layers.units["unit_id"]
    dispatcher.transition(iid, action="accept", actor="c", role="community")
    dispatcher.transition(iid, action="dispatch", actor="c", role="community",
                          unit_id=units.iloc[0])
    county = small_layers.townships["code"].iloc[0][:6]
    people = {
        "own_worker": StaffMember("wg1", "王一", "grid_worker", mine["community_code"],
                                  grade="full_time", grids=(mine["code"],)),
        "other_worker": StaffMember("wg2", "王二", "grid_worker", other["community_code"],
                                    grade="full_time", grids=(other["code"],)),
        "own_unit": StaffMember("dw1", "单位一", "unit", unit_id=units.iloc[0]),
        "other_unit": StaffMember("dw2", "单位二", "unit", unit_id=units.iloc[1]),
        "county": StaffMember("qx1", "县中心", "command_centre", county),
    }
    yield dispatcher, iid, (point.x, point.y), people
    store.close()


def test_an_upload_is_stored_with_its_place_and_thumbnail(district):
    dispatcher, iid, (lon, lat), people = district
    row, created = upload(dispatcher, iid, jpeg((800, 600), lonlat=(lon, lat)), stage="before",
                          by=people["own_worker"], note=" 处置前现场 ",
                          filename="C:\\DCIM\\IMG_0001.JPG", client="10.0.0.8")
    assert created
    assert {k: row[k] for k in ("incident_id", "stage", "kind", "media_type", "width", "height",
                                "far", "uploaded_by", "role", "original_name", "note")} == {
        "incident_id": iid, "stage": "before", "kind": "image", "media_type": "image/jpeg",
        "width": 800, "height": 600, "far": False, "uploaded_by": "wg1",
        "role": "grid_worker", "original_name": "IMG_0001.JPG", "note": "处置前现场"}
    assert row["distance_m"] < 0.1 and row["uploaded_at"] == NOW
    event = dispatcher.store.events(iid)[-1]
    assert (event["action"], event["actor"], event["note"], event["client"]) == (
        "attach", "wg1", "处置前现场", "10.0.0.8")
    assert event["from_state"] == event["to_state"] == "dispatched"
    assert dispatcher.store.audit()[1] == []


def test_a_photo_a_kilometre_away_is_flagged(district):
    dispatcher, iid, (lon, lat), people = district
    row, _ = upload(dispatcher, iid, jpeg(lonlat=(lon, lat + 0.009)), stage="report",
                    by=people["county"])
    assert row["far"] and 950 < row["distance_m"] < 1050
    assert dispatcher.store.events(iid)[-1]["data"]["far"] is True
    near, _ = upload(dispatcher, iid, jpeg(lonlat=(lon, lat + 0.001)), stage="report",
                     by=people["county"])
    assert near["far"] is False
    none, _ = upload(dispatcher, iid, png(), stage="report", by=people["county"])
    assert none["far"] is None and none["distance_m"] is None and none["exif_lon"] is None
    tight = upload(dispatcher, iid, jpeg((300, 300), lonlat=(lon, lat + 0.001)),
                   stage="report", by=people["county"], limits=AttachmentLimits(far_m=50))[0]
    assert tight["far"]


@pytest.mark.parametrize(("who", "stage", "allowed"), [
    ("own_worker", "after", True), ("own_unit", "after", True),
    ("own_unit", "progress", True), ("own_worker", "verify", True),
    ("county", "report", True), ("county", "before", True),
    ("county", "after", False), ("county", "progress", False),
    ("own_unit", "verify", False), ("other_unit", "report", False),
    ("other_worker", "report", False), ("other_worker", "after", False),
])
def test_who_may_add_which_stage(district, who, stage, allowed):
    dispatcher, iid, _, people = district
    data = jpeg((120, 90))
    if allowed:
        assert upload(dispatcher, iid, data, stage=stage, by=people[who])[1]
    else:
        with pytest.raises(AccessDeniedError) as caught:
            upload(dispatcher, iid, data, stage=stage, by=people[who])
        zh, _ = str(caught.value).split(" / ", 1)
        assert zh and not zh.isascii()
        assert dispatcher.store.attachments.count() == 0


def test_reading_is_for_those_who_may_read_the_incident(district):
    dispatcher, iid, _, people = district
    row, _ = upload(dispatcher, iid, jpeg(), stage="report", by=people["own_worker"])
    aid = row["attachment_id"]
    for who in ("own_worker", "own_unit", "county"):
        assert attachment_for(dispatcher, aid, person=people[who]) == row
        assert [r["attachment_id"] for r in attachments_of(dispatcher, iid,
                                                           person=people[who])] == [aid]
    for who in ("other_worker", "other_unit"):
        with pytest.raises(AttachmentNotFoundError) as hidden:
            attachment_for(dispatcher, aid, person=people[who])
        with pytest.raises(AttachmentNotFoundError) as missing:
            attachment_for(dispatcher, "a" + "0" * 24, person=people[who])
        # the same answer whether it exists or not, but for the id
        assert str(hidden.value).replace(aid, "X") == str(missing.value).replace(
            "a" + "0" * 24, "X")
        with pytest.raises(AccessDeniedError):
            attachments_of(dispatcher, iid, person=people[who])


def test_refusals(district):
    dispatcher, iid, _, people = district
    by = people["county"]
    with pytest.raises(AttachmentError) as bad_stage:
        upload(dispatcher, iid, jpeg(), stage="afterwards", by=by)
    assert bad_stage.value.field == "stage" and "处置后" in str(bad_stage.value)
    with pytest.raises(UnsupportedMediaError, match="Windows"):
        upload(dispatcher, iid, exe(), stage="report", by=by)
    with pytest.raises(UnsupportedMediaError, match="HTML"):
        upload(dispatcher, iid, HTML, stage="report", by=by)
    small = AttachmentLimits(max_image_bytes=5_000, max_video_bytes=50_000)
    with pytest.raises(AttachmentTooLargeError):
        upload(dispatcher, iid, jpeg((800, 600)), stage="report", by=by, limits=small)
    with pytest.raises(AttachmentTooLargeError):  # over every limit: refused before sniffing
        upload(dispatcher, iid, exe() + bytes(60_000), stage="report", by=by, limits=small)
    video, _ = upload(dispatcher, iid, mp4(payload=20_000), stage="report", by=by,
                      limits=small)  # a video may be larger than a photo here
    assert video["kind"] == "video" and video["thumbnail_bytes"] is None
    with pytest.raises(AttachmentError) as long_note:
        upload(dispatcher, iid, jpeg(), stage="report", by=by, note="长" * 2001)
    assert long_note.value.field == "note"
    data = jpeg()
    with pytest.raises(AttachmentError, match="damaged"):
        upload(dispatcher, iid, data[:len(data) // 2], stage="report", by=by)
    assert [r["kind"] for r in dispatcher.store.attachments.of(iid)] == ["video"]


def test_a_channel_s_report_photo_is_public_and_staff_photos_are_not(district):
    dispatcher, iid, _, people = district
    staff, _ = upload(dispatcher, iid, jpeg(), stage="report", by=people["county"])
    citizen, _ = upload(dispatcher, iid, jpeg((300, 200)), stage="report", channel="wechat")
    assert citizen["channel"] == "wechat" and citizen["uploaded_by"] == "open311:wechat"
    assert public_photo(dispatcher, citizen["attachment_id"]) == citizen
    with pytest.raises(AttachmentNotFoundError):
        public_photo(dispatcher, staff["attachment_id"])
    with pytest.raises(AttachmentError):
        upload(dispatcher, iid, jpeg(), stage="after", channel="wechat")
    with pytest.raises(TypeError):
        upload(dispatcher, iid, jpeg(), stage="report")
