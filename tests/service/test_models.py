"""The API's incident model shows the record: the same fields, the same optionality."""

import types
import typing

from api.models import Incident
from gridgis.incidents.record import DERIVED_FIELDS, INTERNAL_FIELDS, record_fields


def test_incident_model_fields_are_the_records():
    shown = set(record_fields()) - INTERNAL_FIELDS
    assert set(Incident.model_fields) == shown | DERIVED_FIELDS


def test_incident_model_allows_none_where_the_record_does():
    always_set = {"incident_id", "version", "updated_at"}  # the store sets them
    for name, (_, optional) in record_fields().items():
        if name in INTERNAL_FIELDS or name in always_set:
            continue
        hint = Incident.model_fields[name].annotation
        allows_none = typing.get_origin(hint) in (typing.Union, types.UnionType) \
            and type(None) in typing.get_args(hint)
        assert allows_none == optional, name
