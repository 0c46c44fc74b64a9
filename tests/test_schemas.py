from pathlib import Path

import pytest

from gridgis.schemas import LAYER_NAMES, SCHEMAS, schema_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_layer_docs_are_generated_from_the_schemas():
    # layers/README.md must be regenerated when a schema changes:
    #   gridgis schema > layers/README.md
    assert (ROOT / "layers" / "README.md").read_text(encoding="utf-8") == schema_markdown()


def test_every_layer_of_the_design_is_declared():
    assert LAYER_NAMES == ("townships", "communities", "grids", "patrol_zones", "buildings",
                           "units", "incidents", "grid_history", "sensors", "roads")
    for schema in SCHEMAS.values():
        assert schema.key in schema.column_names


def test_column_lookup_names_unknown_columns():
    assert SCHEMAS["grids"].column("households").kind == "int"
    with pytest.raises(KeyError):
        SCHEMAS["grids"].column("nope")
