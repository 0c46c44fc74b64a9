"""Declared schemas of the base-information layers (一标三实), as exported and documented.

The registers live in the store (:mod:`gridgis.baseinfo.tables`); these are
the layers an export writes (GeoPackage or Excel, :mod:`gridgis.baseinfo.export`)
and ``layers/README.md`` documents (:func:`gridgis.schemas.schema_markdown`
renders them after the district's layers).
"""

from __future__ import annotations

from gridgis.baseinfo.terms import HOUSE_USES, ORG_KINDS, PERSON_TAGS, RESIDENCE
from gridgis.schemas import Column, LayerSchema

__all__ = ["BASEINFO_SCHEMAS"]

_C12, _C15 = r"\d{12}", r"\d{15}"


def _grid_columns() -> tuple[Column, ...]:
    return (Column("grid_code", "str", "grid the record lies in, by location", nullable=True,
                   pattern=_C15),
            Column("community_code", "str", "community of the grid", nullable=True,
                   pattern=_C12),
            Column("township_code", "str", "township of the grid", nullable=True,
                   pattern=r"\d{9}"),
            Column("status", "str", "active 在册 / cancelled 已注销",
                   choices=("active", "cancelled")),
            Column("version", "int", "changes so far + 1 (a change names the version it read)"),
            Column("updated_at", "datetime", "last 新增/变更/注销"),
            Column("updated_by", "str", "staff id of who made it"))


BASEINFO_SCHEMAS: dict[str, LayerSchema] = {s.name: s for s in (
    LayerSchema(
        "addresses", "Standard addresses (标准地址)", ("Point",),
        (Column("address_id", "str", "address identifier, A + door_code"),
         Column("door_code", "str", "door-plate code (门牌编码): community code + 6-digit "
                "sequence", pattern=r"\d{18}"),
         Column("road", "str", "street, or the village of a house without one"),
         Column("door_no", "str", "door number, e.g. 12号"),
         Column("building_id", "str", "building of the buildings layer", nullable=True),
         Column("full_text", "str", "the address as written, e.g. 瓯江路12号"),
         *_grid_columns()),
        key="address_id",
        notes=("Kept in the store (table `bi_addresses`, `gridgis.baseinfo`); houses, people "
               "and organisations hang on an address and take its grid. A plan adoption "
               "re-assigns every record (`gridgis.baseinfo.relocate`).")),
    LayerSchema(
        "houses", "Houses (实有房屋)", ("Point",),
        (Column("house_id", "str", "house identifier"),
         Column("address_id", "str", "its standard address"),
         Column("room", "str", "room or unit number, e.g. 302, 商铺1"),
         Column("use", "str", " / ".join(f"{k} {v}" for k, v in HOUSE_USES.items()),
                choices=tuple(HOUSE_USES)),
         Column("floor_area_m2", "float", "floor area in m²", above=0.0),
         *_grid_columns()),
        key="house_id", notes="Table `bi_houses`; the point is its address's."),
    LayerSchema(
        "people", "People (实有人口)", ("Point",),
        (Column("person_id", "str", "person identifier"),
         Column("name", "str", "name (masked 张** unless the reader keeps the record)"),
         Column("id_number", "str", "identity number, GB 11643 (masked 330399********1234)"),
         Column("phone", "str", "phone (masked 138****1234)", nullable=True),
         Column("gender", "str", "male / female, from the identity number",
                choices=("male", "female")),
         Column("age", "int", "age in whole years on the export day"),
         Column("residence", "str", " / ".join(f"{k} {v}" for k, v in RESIDENCE.items()),
                choices=tuple(RESIDENCE)),
         Column("house_id", "str", "the house lived in", nullable=True),
         Column("address_id", "str", "its standard address"),
         Column("tags", "str", "tags separated by ';': " + ", ".join(
             f"{k} {v}" for k, v in PERSON_TAGS.items()), nullable=True),
         *_grid_columns()),
        key="person_id",
        notes=("Table `bi_people`. Personal fields are whole only for grid workers of the "
               "grid and staff of its community (`gridgis.baseinfo.access`); no birth date "
               "leaves the store masked, only the age.")),
    LayerSchema(
        "orgs", "Organisations (实有单位)", ("Point",),
        (Column("org_id", "str", "organisation identifier"),
         Column("name", "str", "name"),
         Column("kind", "str", " / ".join(f"{k} {v}" for k, v in ORG_KINDS.items()),
                choices=tuple(ORG_KINDS)),
         Column("licence_id", "str", "unified social credit code (统一社会信用代码, GB 32100)",
                pattern=r"[0-9A-HJ-NPQRTUWXY]{18}"),
         Column("address_id", "str", "its standard address", nullable=True),
         *_grid_columns()),
        key="org_id", notes="Table `bi_orgs`; located by its own point."),
)}
"""The exported layers of the base information, by name."""
