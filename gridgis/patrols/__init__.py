"""Patrols (巡查): grid workers' tracks and check-ins, their zone visits, the service.

- :mod:`~gridgis.patrols.track`: a track checked (ordered times, GPS jumps
  flagged), converted to WGS84 and measured on the Gauss-Krüger plane;
- :mod:`~gridgis.patrols.visits`: which patrol zones a track visited;
- :mod:`~gridgis.patrols.records`: tracks to the store's rows, one or many;
- :mod:`~gridgis.patrols.gpx`: GPX files (gpxpy);
- :mod:`~gridgis.patrols.codec`: the compact ``GTK1`` track encoding;
- :mod:`~gridgis.patrols.archive`: load an archive of patrols (the sample season) into a store;
- :mod:`~gridgis.patrols.service`: record and read them as a signed-in person;
- :mod:`~gridgis.patrols.route`: a day's patrol route over the zones due, on the roads.

Compliance against each level's frequency is in
:mod:`gridgis.analysis.patrol_compliance`.
"""

from gridgis.patrols.settings import LEVEL_NAMES, PatrolSettings
from gridgis.patrols.track import Track, prepare_track
from gridgis.patrols.visits import ZonePlane, detect_visits

__all__ = ["LEVEL_NAMES", "PatrolSettings", "Track", "ZonePlane", "detect_visits",
           "prepare_track"]
