"""The vocabulary of the closed loop, defined once: states, actions, roles, lights, levels.

Every other module (the rules, the service, the store's SQL, the HTTP API)
names a state, a light or an escalation level through these enumerations.
They are :class:`enum.StrEnum`, so a member equals its text (``State.CLOSED
== "closed"``) and is stored and sent as that text.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CLOSED_STATES",
    "ESCALATION_LEVELS",
    "FORCE_STATUS_NAMES",
    "OPEN_STATES",
    "REPORT",
    "REPORTER",
    "SOURCE_NAMES",
    "Action",
    "ForceStatus",
    "Level",
    "Light",
    "Outcome",
    "Role",
    "Source",
    "Stage",
    "State",
]


class State(StrEnum):
    """Where an incident stands in the closed loop."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    VERIFIED = "verified"
    CLOSED = "closed"
    SHELVED = "shelved"


class Role(StrEnum):
    """Who acts: scoped to a jurisdiction by the caller (see DESIGN §2b)."""

    GRID_WORKER = "grid_worker"
    UNIT = "unit"
    COMMUNITY = "community"
    TOWNSHIP = "township"
    COMMAND_CENTRE = "command_centre"


class Action(StrEnum):
    """What can be done to an incident."""

    ACCEPT = "accept"
    REJECT = "reject"
    DISPATCH = "dispatch"
    RETURN = "return"
    START = "start"
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    DENY_EXTENSION = "deny_extension"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    VERIFY = "verify"
    CLOSE = "close"
    ESCALATE = "escalate"
    PROGRESS = "progress"  # the unit reports progress (1-3-0: within three days)
    CALLBACK = "callback"  # the holder calls the reporter back (回访): closes or reopens
    WHISTLE = "whistle"  # the holder calls departments in (吹哨); the holder stays
    REPORT_IN = "report_in"  # a called department reports in (报到)
    SUPERVISE = "supervise"  # 督办: notice to the level above on an overdue stage
    REVIEW = "review"  # 挂账复核: a shelved matter is looked at again and stays shelved
    DEPART = "depart"  # 出发: a unit of an emergency plan's force sets out
    ARRIVE = "arrive"  # 到场: it is on site
    RELEASE = "release"  # 收队: the holder releases a force (or the whole plan's)
    REINFORCE = "reinforce"  # 增派: the holder adds a unit of a kind to the plan's force
    REROUTE = "reroute"  # 改派: a returned matter goes to another department (with a reason)


class Light(StrEnum):
    """The supervision light of an incident's current stage."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"  # overdue
    NONE = "none"  # finished or shelved matters carry no light


class ForceStatus(StrEnum):
    """Where a unit of an emergency plan's force stands (应急预案)."""

    WAITING = "waiting"  # dispatched, not yet set out
    DEPARTED = "departed"
    ARRIVED = "arrived"
    OVERDUE = "overdue"  # not on site within its arrival limit
    RELEASED = "released"


FORCE_STATUS_NAMES: dict[ForceStatus, str] = {
    ForceStatus.WAITING: "待出发", ForceStatus.DEPARTED: "已出发", ForceStatus.ARRIVED: "已到场",
    ForceStatus.OVERDUE: "超时未到", ForceStatus.RELEASED: "已收队"}
"""The Chinese name of each force status, as the plan board shows it."""


class Level(StrEnum):
    """Who holds a matter after escalation (小事不出村、大事不出镇)."""

    COMMUNITY = "community"
    TOWNSHIP = "township"
    COUNTY = "county"


class Stage(StrEnum):
    """Which time limit the light of an open matter watches ("1-3-0" and after)."""

    DEPLOY = "deploy"  # accept and dispatch within a day (1)
    PROGRESS = "progress"  # report progress within three days (3)
    RESOLVE = "resolve"  # followed until cleared (0); the resolve limit lights it
    VERIFY = "verify"  # the grid worker verifies on site
    CALLBACK = "callback"  # the reporter is called back
    REVIEW = "review"  # a shelved matter is reviewed again (it never leaves the board)
    DONE = "done"  # closed or rejected


class Outcome(StrEnum):
    """What a call back (回访) found."""

    REACHED = "reached"  # the reporter answered and rated the handling
    UNREACHABLE = "unreachable"  # not reached after trying (回访未接通)


class Source(StrEnum):
    """Where a report came from."""

    GRID_WORKER = "grid_worker"
    HOTLINE = "hotline"
    APP = "app"
    SENSOR = "sensor"
    WECHAT = "wechat"
    OPEN311 = "open311"  # reports of the first version's Open311 facade (still read)
    WEB = "web"


SOURCE_NAMES: dict[Source, str] = {
    Source.GRID_WORKER: "网格员终端", Source.HOTLINE: "12345热线", Source.APP: "手机App",
    Source.SENSOR: "物联感知设备", Source.WECHAT: "微信", Source.OPEN311: "Open311接口",
    Source.WEB: "网站"}
"""The Chinese name of each channel, as the console and reports show it (the names it
accepts on input are in :mod:`gridgis.incidents.channels`)."""


OPEN_STATES = frozenset({State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS,
                         State.RESOLVED, State.REOPENED, State.VERIFIED, State.SHELVED})
"""States of a matter still being handled (escalation is possible from each)."""
CLOSED_STATES = frozenset({State.CLOSED, State.REJECTED})
"""States of a finished matter: no action is possible any more."""
ESCALATION_LEVELS: tuple[Level, ...] = tuple(Level)
"""Escalation level 0, 1, 2 in order: community, township, county."""
REPORT = "report"
"""The action of an incident's first event (not a transition: nothing stands before it)."""
REPORTER = "reporter"
"""The role of whoever reports (anyone may)."""
