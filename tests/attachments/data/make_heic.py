"""Make gps.heic (see README.md): ``python make_heic.py gps.heic`` with pillow-heif installed."""

import sys

import pillow_heif
from PIL import ExifTags, Image

pillow_heif.register_heif_opener()
image = Image.new("RGB", (64, 48), (200, 60, 30))
image.paste((20, 120, 220), (0, 0, 32, 24))
exif = Image.Exif()
exif[ExifTags.Base.Orientation] = 6
exif[ExifTags.IFD.GPSInfo] = {
    ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (28.0, 0.0, 36.0),
    ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (120.0, 39.0, 0.0),
    ExifTags.GPS.GPSMapDatum: "WGS-84"}
image.save(sys.argv[1], format="HEIF", exif=exif.tobytes(), quality=60)
