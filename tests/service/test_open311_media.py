"""Open311 media: a channel's report photo is public, staff photos are not, links are kept."""

import io

from PIL import Image

from gridgis.store.trail import verify_store_file
from tests.attachments.media import exe, jpeg, noisy_jpeg
from tests.service.conftest import OPEN311_KEYS
from tests.service.test_attachments import post
from tests.service.test_incidents import report


def intake(client, point, *, media=None, **fields):
    data = {"api_key": OPEN311_KEYS["app"], "service_code": "E02", "lat": str(point["lat"]),
            "long": str(point["lon"]), "description": "垃圾堆放"} | fields
    files = {"media": ("IMG_2.jpg", media, "image/jpeg")} if media is not None else None
    return client.post("/open311/v2/requests.json", data=data, files=files,
                       headers={"Authorization": ""})


def read(client, rid, *, headers=None):
    r = client.get(f"/open311/v2/requests/{rid}.json", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()[0]


def test_a_channel_s_photo_is_public_as_a_thumbnail(client, anonymous, inside_point):
    photo = noisy_jpeg((300, 200))
    assert len(photo) > 16_384  # beyond the body limit of form posts: admitted as multipart
    r = intake(anonymous, inside_point, media=photo)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    public = read(anonymous, rid)["media_url"]
    assert public.startswith("http://testserver/open311/v2/media/") and public.endswith(".jpg")
    got = anonymous.get(public)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(got.content)).size == (300, 200)
    staff = read(client, rid)["media_url"]
    aid = public.rsplit("/", 1)[1].removesuffix(".jpg")
    assert staff == f"http://testserver/attachments/{aid}/thumbnail"
    assert client.get(staff).status_code == 200
    attached = client.get(f"/incidents/{rid}/attachments").json()
    assert [(a["channel"], a["uploaded_by"], a["stage"]) for a in attached] == [
        ("app", "open311:app", "report")]
    listed = {i["service_request_id"]: i["media_url"]
              for i in anonymous.get("/open311/v2/requests.json").json()}
    assert listed[rid] == public


def test_staff_photos_are_not_public(client, anonymous, inside_point):
    rid = report(client, inside_point).json()["incident_id"]
    assert read(anonymous, rid)["media_url"] is None
    aid = post(client, rid, jpeg()).json()["attachment_id"]
    assert read(anonymous, rid)["media_url"] is None
    assert read(client, rid)["media_url"].endswith(f"/attachments/{aid}/thumbnail")
    r = anonymous.get(f"/open311/v2/media/{aid}.jpg")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    assert anonymous.get(f"/attachments/{aid}/thumbnail").status_code == 401


def test_a_media_url_is_recorded_not_fetched(client, anonymous, inside_point, store):
    link = "https://wx.example.cn/media/abc.jpg?x=1"
    r = intake(anonymous, inside_point, media_url=link)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    assert read(anonymous, rid)["media_url"] == link
    events = client.get(f"/incidents/{rid}").json()["events"]
    assert [e["action"] for e in events] == ["report", "attach"]
    assert events[1]["data"] == {"media_url": link} and events[1]["actor"] == "open311:app"
    assert verify_store_file(store.path).intact
    for bad in ("javascript:alert(1)", "ftp://x/y.jpg", "https://x/" + "a" * 2100,
                "https://x/a b.jpg"):
        r = intake(anonymous, inside_point, media_url=bad)
        assert r.status_code == 400 and "media_url" in r.json()[0]["description"]


def test_a_refused_media_file_makes_no_request(client, anonymous, inside_point):
    before = len(client.get("/incidents").json()["items"])
    r = intake(anonymous, inside_point, media=exe())
    assert r.status_code == 400 and "Windows" in r.json()[0]["description"]
    cut = jpeg((600, 400))
    r = intake(anonymous, inside_point, media=cut[:len(cut) // 2])
    assert r.status_code == 400 and r.json()[0]["description"].startswith("media:")
    assert len(client.get("/incidents").json()["items"]) == before
    r = anonymous.post("/open311/v2/requests.json", content=b"--x\r\nbroken",
                       headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 403)
    r = intake(anonymous, inside_point, media=jpeg(), api_key="wrong-key-0123456789")
    assert r.status_code == 403


def test_media_that_is_not_a_file_is_ignored(anonymous, inside_point):
    body = {"api_key": OPEN311_KEYS["app"], "service_code": "E02", "lat": inside_point["lat"],
            "long": inside_point["lon"], "description": "垃圾堆放", "media": "abcd"}
    r = anonymous.post("/open311/v2/requests.json", json=body)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    assert read(anonymous, rid)["media_url"] is None
    r = anonymous.post("/open311/v2/requests.json", files={"x": ("a", b"b")},
                       data={k: str(v) for k, v in body.items()})
    assert r.status_code == 201, r.text
