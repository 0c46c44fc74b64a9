"""Intake channels on the service: the names a report's source may take, which are enabled.

The library reads a channel under any name the field uses
(:func:`gridgis.incidents.channels.source_of`); here the request models take
those names (:data:`ReportSource`); :func:`key_matches` checks a channel's
api_key. The routes refuse a report through a channel the service does not
take (``GRIDGIS_CHANNELS``) with 403 naming it
(:func:`gridgis.incidents.channels.check_enabled`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, SecretStr, WithJsonSchema

from gridgis.errors import InputError
from gridgis.incidents.channels import accepted_names, source_of
from gridgis.incidents.names import SOURCE_NAMES, Source

__all__ = ["ReportSource", "key_matches"]

_OPEN311_NAMES = frozenset({Source.OPEN311.value, SOURCE_NAMES[Source.OPEN311]})


def _channel_name(value: Any) -> Any:
    """A channel's name as the field writes it ("12345", "微信") read as its source."""
    if not isinstance(value, str):
        return value
    try:
        return source_of(value)
    except InputError as exc:
        raise ValueError(str(exc)) from None


def _not_open311(value: Source) -> Source:
    if value is Source.OPEN311:
        raise ValueError("open311 来源仅供 Open311 接口使用 / the source open311 is for the "
                         "Open311 routes (/open311/v2)")
    return value


ReportSource = Annotated[
    Source, BeforeValidator(_channel_name), AfterValidator(_not_open311),
    WithJsonSchema({"type": "string",
                    "enum": [n for n in accepted_names() if n not in _OPEN311_NAMES],
                    "description": "来源渠道，值或常用名（12345、微信、网格员…）/ the channel: its "
                                   "value or a name the field uses (12345, 微信, 网格员…)"})]
"""The source of a report as a request gives it: any name of a channel but Open311's."""


def key_matches(given: str | None, keys: Mapping[str, SecretStr], channel: str) -> bool:
    """Whether ``given`` is ``channel``'s api_key (compared in constant time; no key: never)."""
    key = keys.get(channel)
    if key is None or given is None:
        return False
    return hmac.compare_digest(given.encode(), key.get_secret_value().encode())
