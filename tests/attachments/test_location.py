import io

import pytest
from PIL import Image
from pyproj import Geod

from gridgis.attachments.location import (
    PhotoLocation,
    compare,
    distance_m,
    gps_location,
)
from gridgis.crs import wgs84_to_gcj02
from tests.attachments.media import jpeg

POINT = (120.6551, 27.9932)


def read_back(data: bytes) -> PhotoLocation | None:
    with Image.open(io.BytesIO(data)) as image:
        return gps_location(image.getexif().get_ifd(0x8825))


@pytest.mark.parametrize("lonlat", [POINT, (-73.98557, 40.74843), (151.21, -33.8568)])
def test_a_jpeg_gps_block_reads_back_to_its_point(lonlat):
    found = read_back(jpeg(lonlat=lonlat))
    assert found is not None and found.datum == "WGS-84"
    assert distance_m(found.lon, found.lat, *lonlat) < 0.05  # EXIF rationals: centimetres


def test_no_gps_block_no_place():
    assert read_back(jpeg()) is None


@pytest.mark.parametrize("gps", [
    {2: (28, 0, 36), 4: (120, 39, 0)},  # no references: the hemisphere is unknown
    {1: "N", 2: (28, 0, 36), 3: "X", 4: (120, 39, 0)},
    {1: "N", 2: (0, 0, 0), 3: "E", 4: (0, 0, 0)},  # what receivers write without a fix
    {1: "N", 2: (95, 0, 0), 3: "E", 4: (120, 0, 0)},
    {1: "N", 2: (28, float("nan"), 0), 3: "E", 4: (120, 0, 0)},
    {1: "N", 2: (28, 0, 0, 0), 3: "E", 4: (120, 0, 0)},
    {1: "N", 2: "28", 3: "E", 4: None},
    {1: b"N\x00", 2: (-28, 0, 0), 3: b"E\x00", 4: (120, 0, 0)},
])
def test_unusable_gps_blocks_give_no_place(gps):
    assert gps_location(gps) is None


def test_references_give_the_sign():
    found = gps_location({1: b"S\x00", 2: (33, 51, 24.48), 3: "W", 4: (70, 30, 0)})
    assert found == PhotoLocation(lon=-70.5, lat=-33.8568, datum=None)


def test_a_photo_a_kilometre_away_is_flagged():
    lon, lat = POINT
    away = PhotoLocation(lon, lat + 1000 / 111_195)
    check = compare(away, lon, lat, far_m=200)
    assert check.far and check.distance_m == pytest.approx(1000, abs=1)
    near = compare(PhotoLocation(lon, lat + 150 / 111_195), lon, lat, far_m=200)
    assert not near.far and near.distance_m == pytest.approx(150, abs=0.5)


def test_a_gcj02_photo_lies_hundreds_of_metres_off_and_is_flagged():
    lon, lat = POINT
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    check = compare(PhotoLocation(glon, glat), lon, lat, far_m=200)
    assert 300 < check.distance_m < 800 and check.far


def test_haversine_against_the_ellipsoid():
    geod = Geod(ellps="WGS84")  # pyproj as the independent truth
    for a, b in [((116.5975, 40.0725), (121.8053, 31.1443)), (POINT, (120.66, 27.99))]:
        _, _, truth = geod.inv(*a, *b)
        assert distance_m(*a, *b) == pytest.approx(truth, rel=0.005)
