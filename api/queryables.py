"""Queryables of a collection as JSON Schema (OGC API Features Part 3).

Each queryable is a property a client may filter by equality with
``?name=value`` on the collection's items (the "queryables as query
parameters" class); the document says its type, and its pattern or allowed
values where the layer's schema declares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridgis.schemas import SCHEMAS

__all__ = ["JSON_SCHEMA", "QUERYABLES_REL", "SCHEMA_JSON", "layer_queryables",
           "queryables_document"]

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_JSON = "application/schema+json"
"""The media type of the queryables document."""
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
"""The link relation of a collection's queryables."""
_TYPES = {"str": "string", "int": "integer", "bool": "boolean", "float": "number"}
_GEOMETRY_FORMAT = {"Point": "geometry-point", "Polygon": "geometry-polygon",
                    "MultiPolygon": "geometry-multipolygon"}


def layer_queryables(name: str, columns: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The JSON Schema of each queryable column of a district layer, and of its geometry."""
    schema = SCHEMAS[name]
    out: dict[str, dict[str, Any]] = {}
    for column in columns:
        declared = schema.column(column)
        prop: dict[str, Any] = {"title": declared.description, "type": _TYPES[declared.kind]}
        if declared.choices:
            prop["enum"] = list(declared.choices)
        elif declared.pattern:
            prop["pattern"] = f"^{declared.pattern}$"
        out[column] = prop
    kinds = schema.geometry
    out["geometry"] = {"title": "geometry (lon/lat, CRS84)", "x-ogc-role": "primary-geometry",
                       "format": _GEOMETRY_FORMAT.get(kinds[0], "geometry-any")
                       if len(kinds) == 1 else "geometry-any"}
    return out


def queryables_document(url: str, title: str, properties: Mapping[str, dict[str, Any]]
                        ) -> dict[str, Any]:
    """The queryables resource: ``$schema``, ``$id`` (its URL without query), the properties.

    Parameters
    ----------
    url : str
        The resource's URL without its query.
    title : str
        The collection's title.
    properties : mapping
        Each queryable's JSON Schema.
    """
    return {"$schema": JSON_SCHEMA, "$id": url, "type": "object", "title": title,
            "properties": dict(properties), "additionalProperties": False}
