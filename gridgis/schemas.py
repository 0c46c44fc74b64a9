"""Declared schemas of the gridgis layers.

Each layer of a district (townships, communities, grids, patrol zones,
buildings, responsible units, incidents, the retired grid versions of
earlier plans, the IoT sensors and the road network) has a fixed set of columns with a
kind (``str``, ``int``, ``float``, ``datetime``), a geometry type and a CRS
family (geographic lon/lat: EPSG:4326 or CGCS2000 EPSG:4490). The schemas are
data: :mod:`gridgis.layers` checks files against them, and the layer
documentation in ``layers/README.md`` is generated from them.

Timestamps are naive wall-clock times in China Standard Time (UTC+8, no
daylight saving), as command-centre platforms record them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CORE_LAYERS",
    "LAYER_NAMES",
    "PATROL_LEVELS",
    "ROAD_CLASSES",
    "SCHEMAS",
    "SENSOR_KINDS",
    "Column",
    "LayerSchema",
    "schema_markdown",
]

PATROL_LEVELS: tuple[str, ...] = ("high", "medium", "low")
"""Patrol-frequency levels of a patrol zone, most frequent first."""

SENSOR_KINDS: tuple[str, ...] = ("smoke", "water_level", "manhole_cover", "gas", "fume")
"""Kinds of IoT sensors: smoke 烟感, water level 水位, manhole cover 井盖, gas 燃气, fume 油烟
(their thresholds: ``gridgis/data/sensor_kinds.csv``)."""

ROAD_CLASSES: tuple[str, ...] = ("expressway", "arterial", "secondary", "street", "village",
                                  "service")
"""Classes of roads, fastest first: expressway 高速/快速路, arterial 主干路, secondary 次干路,
street 支路/街巷, village 村道, service 内部道路 (their default speeds and OSM ``highway``
values: ``gridgis/data/road_classes.csv``, :mod:`gridgis.roads.classes`)."""

POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Column:
    """One declared column of a layer.

    Parameters
    ----------
    name : str
        Column name as stored in the GeoPackage.
    kind : {"str", "int", "float", "datetime", "bool"}
        Logical type; integers must hold whole numbers, datetimes must parse,
        booleans are true/false (or 1/0).
    description : str
        What the column means, shown in the layer documentation.
    nullable : bool, default False
        Whether missing values are allowed.
    pattern : str, optional
        Regular expression every non-null value must match in full.
    choices : tuple of str, optional
        Allowed values of a categorical text column.
    optional : bool, default False
        Whether the column may be absent from a file (it is then read as all
        nulls); only nullable columns can be optional.
    above : float, optional
        Every non-null value of a numeric column must be greater than this
        (and finite).
    """

    name: str
    kind: str
    description: str
    nullable: bool = False
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False
    above: float | None = None

    def __post_init__(self) -> None:
        if self.optional and not self.nullable:
            raise ValueError(f"column {self.name!r}: an optional column must be nullable")


@dataclass(frozen=True)
class LayerSchema:
    """The declared shape of a layer.

    Parameters
    ----------
    name : str
        Layer name inside the GeoPackage.
    title : str
        Human title (with the Chinese term) for documentation.
    geometry : tuple of str
        Allowed geometry types.
    columns : tuple of Column
        Declared attribute columns (the geometry column is implicit).
    key : str
        Column that identifies a feature uniquely.
    """

    name: str
    title: str
    geometry: tuple[str, ...]
    columns: tuple[Column, ...]
    key: str
    notes: str = field(default="")

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the declared columns, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the declared column called ``name``.

        Raises
        ------
        KeyError
            If the schema declares no such column.
        """
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


_CODE9 = r"\d{9}"
_CODE12 = r"\d{12}"
_CODE15 = r"\d{15}"

_VALID_FROM = Column(
    "valid_from", "datetime",
    "when this shape of the grid took effect (empty: since before the records)",
    nullable=True, optional=True,
)

_LOOP_COLUMNS = (
    Column("progress_by", "datetime",
           "1-3-0 progress deadline: the category's progress limit (at most three days) from "
           "the report, or from the escalation", nullable=True, optional=True),
    Column("progress_at", "datetime", "the unit's first progress report (进展反馈)",
           nullable=True, optional=True),
    Column("progress_reports", "int", "progress reports by the unit", nullable=True,
           optional=True),
    Column("escalated_at", "datetime",
           "when the matter passed to the level that holds it (empty: the community holds it)",
           nullable=True, optional=True),
    Column("escalation_reason", "str",
           "why it was escalated (升级理由); for a matter the county holds, the township's and "
           "the county's reasons separated by '；'", nullable=True, optional=True),
    Column("whistle_calls", "str",
           "吹哨报到 as JSON text: a list of the departments called in, each with unit_id, "
           "called_at, due_at, reason, reported_in_at, place, staff, supervised, late "
           "(empty: no whistle)", nullable=True, optional=True),
    Column("supervisions", "int",
           "督办 notices to the level above: one per overdue stage and per sweep that found "
           "report-ins overdue", nullable=True, optional=True),
    Column("callback_at", "datetime", "the latest call back to the reporter (回访)",
           nullable=True, optional=True),
    Column("callback_outcome", "str", "what the latest call back found", nullable=True,
           optional=True, choices=("reached", "unreachable")),
    Column("reopenings", "str",
           "the rounds a dissatisfied call back reopened, as JSON text: a list of "
           "resolved_at, verified_at, callback_at, satisfaction (empty: never reopened)",
           nullable=True, optional=True),
    Column("has_photos", "bool", "before/after photos (处置前/后照片) are on record",
           nullable=True, optional=True),
)
"""Columns of the incidents layer that record the loop as practised (issue 16)."""

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "townships",
            "Townships and streets (乡镇/街道)",
            POLYGONAL,
            (
                Column("code", "str", "9-digit township code", pattern=_CODE9),
                Column("name", "str", "name"),
                Column("district_code", "str", "6-digit district code", pattern=r"\d{6}"),
            ),
            key="code",
        ),
        LayerSchema(
            "communities",
            "Communities and villages (社区/村)",
            POLYGONAL,
            (
                Column("code", "str", "12-digit community code", pattern=_CODE12),
                Column("name", "str", "name"),
                Column("township_code", "str", "code of the township", pattern=_CODE9),
                Column("kind", "str", "urban community or rural village",
                       choices=("urban", "rural")),
            ),
            key="code",
        ),
        LayerSchema(
            "grids",
            "Grids (网格)",
            POLYGONAL,
            (
                Column("code", "str", "15-digit grid code", pattern=_CODE15),
                Column("name", "str", "name"),
                Column("community_code", "str", "code of the community", pattern=_CODE12),
                Column("households", "int", "households living in the grid"),
                Column("population", "int", "registered and resident population"),
                Column("workers", "int", "grid workers (full- and part-time)"),
                Column("worker_names", "str", "names of the grid workers, 、-separated",
                       nullable=True),
                _VALID_FROM,
            ),
            key="code",
            notes="Inside each community the grids leave no gap and do not overlap.",
        ),
        LayerSchema(
            "patrol_zones",
            "Patrol-frequency zones (巡查区域)",
            POLYGONAL,
            (
                Column("zone_id", "str", "zone identifier"),
                Column("level", "str", "patrol frequency", choices=PATROL_LEVELS),
                Column("grid_code", "str", "grid the zone belongs to", pattern=_CODE15),
            ),
            key="zone_id",
        ),
        LayerSchema(
            "buildings",
            "Buildings (楼栋/房屋)",
            ("Point", "Polygon", "MultiPolygon"),
            (
                Column("building_id", "str", "building identifier"),
                Column("households", "int", "households in the building"),
                Column("population", "int", "people living in the building"),
                Column("grid_code", "str", "grid the building lies in", pattern=_CODE15),
            ),
            key="building_id",
        ),
        LayerSchema(
            "units",
            "Responsible units (责任单位)",
            ("Point",),
            (
                Column("unit_id", "str", "unit identifier"),
                Column("name", "str", "name"),
                Column("kind", "str", "unit kind, e.g. police_station, power_supply"),
                Column("platform", "str", "one of the four platforms (四个平台)"),
                Column("township_code", "str", "township the unit serves", pattern=_CODE9),
            ),
            key="unit_id",
        ),
        LayerSchema(
            "incidents",
            "Incidents (事件)",
            ("Point",),
            (
                Column("incident_id", "str", "incident identifier"),
                Column("reported_at", "datetime", "time of the report"),
                Column("category", "str", "category code of the category table, e.g. D01"),
                Column("description", "str", "what was reported"),
                Column("source", "str", "grid_worker, hotline, app, wechat, web, sensor or "
                       "open311 (the channel)"),
                Column("status", "str", "state in the closed loop"),
                Column("priority", "str", "urgent, high or normal",
                       choices=("urgent", "high", "normal")),
                Column("grid_code", "str", "grid of the location", nullable=True,
                       pattern=_CODE15),
                Column("community_code", "str", "community of the location", nullable=True,
                       pattern=_CODE12),
                Column("township_code", "str", "township of the location", nullable=True,
                       pattern=_CODE9),
                Column("unit_id", "str", "responsible unit dispatched", nullable=True),
                Column("respond_by", "datetime",
                       "response deadline (counted from the escalation when escalated)"),
                Column("resolve_by", "datetime",
                       "handling deadline (counted from the escalation when escalated, from "
                       "the call back that reopened the matter when reopened)"),
                Column("accepted_at", "datetime", "accepted by the command centre",
                       nullable=True),
                Column("dispatched_at", "datetime", "dispatched to a unit", nullable=True),
                Column("resolved_at", "datetime", "handled by the unit", nullable=True),
                Column("verified_at", "datetime", "verified on site by the grid worker",
                       nullable=True),
                Column("closed_at", "datetime", "closed after the call back", nullable=True),
                Column("escalation_level", "int",
                       "0 handled in the community, 1 township, 2 county"),
                Column("reopened", "int", "times the incident was reopened"),
                Column("satisfaction", "float",
                       "call-back satisfaction 1-5 (of the latest call back that reached the "
                       "reporter; below 3 reopened the matter)", nullable=True),
                Column("input_crs", "str", "coordinate system of the original report",
                       choices=("wgs84", "cgcs2000", "gcj02", "bd09")),
                *_LOOP_COLUMNS,
            ),
            key="incident_id",
            notes=("The columns from `progress_by` on keep the loop as practised (1-3-0, "
                   "escalation, 吹哨报到, 督办, call back); they may be absent from an archive "
                   "of a platform that did not record them."),
        ),
        LayerSchema(
            "grid_history",
            "Retired versions of grids (网格历史版本)",
            POLYGONAL,
            (
                Column("version_id", "str",
                       "grid code and the day it was retired, code@YYYY-MM-DD"),
                Column("code", "str", "15-digit grid code", pattern=_CODE15),
                Column("name", "str", "name"),
                Column("community_code", "str", "code of the community", pattern=_CODE12),
                Column("households", "int", "households living in the grid then"),
                Column("population", "int", "registered and resident population then"),
                Column("workers", "int", "grid workers then"),
                Column("worker_names", "str", "names of the grid workers then", nullable=True),
                Column("valid_from", "datetime",
                       "when this version took effect (empty: since before the records)",
                       nullable=True),
                Column("valid_to", "datetime", "when the next plan replaced it"),
            ),
            key="version_id",
            notes=("Written by `gridgis adopt`: each redraw moves the grids it changes here, so "
                   "incidents can be located in the plan in force on the day they were "
                   "reported (`gridgis.planning.PlanHistory`)."),
        ),
        LayerSchema(
            "sensors",
            "IoT sensors (物联感知设备)",
            ("Point",),
            (
                Column("device_id", "str", "device identifier",
                       pattern=r"[A-Za-z0-9_.\-]{1,64}"),
                Column("kind", "str", "smoke 烟感, water_level 水位, manhole_cover 井盖, gas 燃气, "
                       "fume 油烟", choices=SENSOR_KINDS),
                Column("name", "str", "name: what it watches, where"),
                Column("installed_at", "datetime", "when the device was installed"),
                Column("heartbeat_minutes", "int", "minutes between the device's heartbeats"),
                Column("grid_code", "str", "grid the device lies in (empty: filled by location "
                       "when the service loads the layer)", nullable=True, optional=True,
                       pattern=_CODE15),
            ),
            key="device_id",
            notes=("The device registry (设备台账). A reading over its kind's threshold "
                   "(`gridgis/data/sensor_kinds.csv`) raises an incident of the kind's category; "
                   "a device silent past twice its heartbeat interval raises a maintenance "
                   "matter (`gridgis.sensors`)."),
        ),
        LayerSchema(
            "roads",
            "Roads (道路)",
            ("LineString",),
            (
                Column("road_id", "str", "road segment identifier"),
                Column("name", "str", "road name, e.g. 瓯江路 (empty: unnamed lane)",
                       nullable=True),
                Column("road_class", "str",
                       "expressway 高速/快速路, arterial 主干路, secondary 次干路, "
                       "street 支路/街巷, village 村道, service 内部道路", choices=ROAD_CLASSES),
                Column("speed_kmh", "float", "travel speed in km/h", above=0.0),
                Column("oneway", "bool",
                       "true: drivable only in the direction the line is drawn (digitised); "
                       "false: both ways"),
            ),
            key="road_id",
            notes=("Centre lines of the road network, noded: where roads meet, every line "
                   "through the junction ends at the shared vertex (no line passes a junction "
                   "mid-way). Default speeds by class: "
                   "`gridgis/data/road_classes.csv` (`gridgis.roads.classes`); "
                   "`gridgis roads` loads an OpenStreetMap extract into the layer."),
        ),
    )
}

LAYER_NAMES: tuple[str, ...] = tuple(SCHEMAS)
"""All layer names, in the order they are written."""

CORE_LAYERS: tuple[str, ...] = ("townships", "communities", "grids")
"""Layers every district file must have."""


def schema_markdown() -> str:
    """Render the layer schemas as Markdown (the body of ``layers/README.md``).

    Returns
    -------
    str
        One section per layer with a table of its columns.

    Examples
    --------
    >>> "## grids" in schema_markdown()
    True
    """
    lines = [
        "# gridgis layers",
        "",
        "A district is one GeoPackage with the layers below, in lon/lat",
        "(EPSG:4326, or CGCS2000 EPSG:4490). Planners open it in QGIS as it is.",
        f"Required layers: {', '.join(CORE_LAYERS)}; the others are read when present.",
        "Timestamps are naive China Standard Time (UTC+8).",
        "This file is generated by `gridgis.schemas.schema_markdown()`; a test keeps it in step.",
        "",
    ]
    lines += _sections(SCHEMAS)
    from gridgis.baseinfo.schema import BASEINFO_SCHEMAS  # the registers kept in the store

    lines += ["# base information (一标三实)", "",
              "Registers kept in the store and written by exports; their geometry is the "
              "point of the record's address.", "", *_sections(BASEINFO_SCHEMAS)]
    return "\n".join(lines)


def _sections(schemas: dict[str, LayerSchema]) -> list[str]:
    """One Markdown section per layer with a table of its columns."""
    lines: list[str] = []
    for schema in schemas.values():
        lines += [
            f"## {schema.name}",
            "",
            f"{schema.title}. Geometry: {' or '.join(schema.geometry)}. Key: `{schema.key}`.",
        ]
        if schema.notes:
            lines.append(schema.notes)
        lines += ["", "| column | type | null | rule | meaning |", "|---|---|---|---|---|"]
        for col in schema.columns:
            rule = ""
            if col.pattern:
                rule = f"`{col.pattern}`"
            elif col.choices:
                rule = " / ".join(col.choices)
            elif col.above is not None:
                rule = f"> {col.above:g}"
            null = "yes" if col.nullable else "no"
            if col.optional:
                null += " (column may be absent)"
            lines.append(f"| {col.name} | {col.kind} | {null} | {rule} | {col.description} |")
        lines.append("")
    return lines
