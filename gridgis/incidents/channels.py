"""The channels a report comes through, read under the names the field uses.

A report comes from a grid worker's terminal (网格员终端), the 12345 hotline
(12345热线), the citizen app, WeChat (微信), the website, the Open311 facade or
an IoT sensor (物联感知设备): one :class:`~gridgis.incidents.names.Source` each.
Command centres and their systems name them in many ways ("12345", "12345热线",
"微信公众号", "网格通"…); :func:`source_of` reads any of these names as the
channel it means, so a report is never refused for a name the field uses, and
an unknown name is refused with the list of the channels there are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from gridgis.errors import AccessDeniedError, InputError
from gridgis.incidents.names import SOURCE_NAMES, Source

__all__ = ["ALIASES", "accepted_names", "check_enabled", "known_sources", "source_of"]

ALIASES: dict[Source, tuple[str, ...]] = {
    Source.GRID_WORKER: ("网格员", "网格终端", "网格通", "网格员上报", "网格员APP",
                         "grid", "terminal"),
    Source.HOTLINE: ("12345", "12345热线", "12345市民热线", "12345政务服务便民热线", "热线",
                     "市民热线", "便民热线", "电话", "phone"),
    Source.APP: ("手机App", "市民App", "移动App", "客户端", "mobile"),
    Source.WECHAT: ("微信", "微信公众号", "微信小程序", "公众号", "小程序", "weixin", "wx"),
    Source.WEB: ("网站", "网页", "门户网站", "政府网站", "网上信访", "website", "portal"),
    Source.SENSOR: ("传感器", "物联网", "物联感知", "感知设备", "智能感知",
                    "iot"),
}
"""Names of each channel in the field besides its own value and its Chinese name
(:data:`~gridgis.incidents.names.SOURCE_NAMES`); case, width and the characters
`` -_`` do not matter."""


def _key(text: str) -> str:
    """A name folded for lookup: full-width to half-width, case and separators dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "-_")


def _table() -> dict[str, Source]:
    table: dict[str, Source] = {}
    for source in Source:
        for name in (source.value, SOURCE_NAMES[source], *ALIASES.get(source, ())):
            key = _key(name)
            if table.get(key, source) is not source:  # pragma: no cover - a table typo
                raise RuntimeError(f"the channel name {name!r} means two channels")
            table[key] = source
    return table


_BY_NAME = _table()


def known_sources() -> str:
    """The channels there are, Chinese first: ``网格员终端(grid_worker)、12345热线(hotline)…``."""
    return "、".join(f"{SOURCE_NAMES[s]}({s.value})" for s in Source)


def accepted_names() -> list[str]:
    """Every name :func:`source_of` reads, each channel's own value first."""
    names = [s.value for s in Source]
    for source in Source:
        names += [SOURCE_NAMES[source], *ALIASES.get(source, ())]
    return list(dict.fromkeys(names))


def source_of(text: str | Source) -> Source:
    """The channel a name means.

    Parameters
    ----------
    text : str or Source
        A channel's value (``hotline``), its Chinese name (``12345热线``) or a
        name the field uses (``12345``, ``微信``, ``网格员``…); case, full-width
        characters, spaces, ``-`` and ``_`` do not matter.

    Returns
    -------
    Source

    Raises
    ------
    InputError
        For a name of no channel (``field`` is ``source``); the message lists
        the channels there are, Chinese first.

    Examples
    --------
    >>> source_of("12345"), source_of("微信"), source_of("网格员")
    (<Source.HOTLINE: 'hotline'>, <Source.WECHAT: 'wechat'>, <Source.GRID_WORKER: 'grid_worker'>)
    >>> source_of(" Hotline ")
    <Source.HOTLINE: 'hotline'>
    """
    if isinstance(text, Source):
        return text
    found = _BY_NAME.get(_key(text)) if isinstance(text, str) else None
    if found is None:
        shown = repr(text)[:80]
        raise InputError(f"未知来源 {shown}，可用来源：{known_sources()} / unknown source "
                         f"{shown}; sources are {', '.join(Source)}", field="source")
    return found


def check_enabled(source: str | Source, enabled: Iterable[str | Source] | None) -> Source:
    """The channel of ``source``, refused when it is not among the ``enabled`` ones.

    Parameters
    ----------
    source : str or Source
        Any name :func:`source_of` reads.
    enabled : iterable of str or Source, optional
        The channels a service takes reports from (any names); None: all.

    Returns
    -------
    Source

    Raises
    ------
    InputError
        For a name of no channel.
    AccessDeniedError
        For a channel that is not enabled; the message names it and the
        enabled ones.

    Examples
    --------
    >>> check_enabled("微信", ["wechat", "hotline"])
    <Source.WECHAT: 'wechat'>
    """
    channel = source_of(source)
    if enabled is None:
        return channel
    allowed = {source_of(e) for e in enabled}
    if channel not in allowed:
        listed = [s for s in Source if s in allowed]
        zh = "、".join(SOURCE_NAMES[s] for s in listed) or "无"
        raise AccessDeniedError(
            f"渠道「{SOURCE_NAMES[channel]}」({channel.value}) 未启用，已启用：{zh} / the channel "
            f"{channel.value} is not enabled; enabled channels: "
            f"{', '.join(s.value for s in listed) or 'none'}")
    return channel
