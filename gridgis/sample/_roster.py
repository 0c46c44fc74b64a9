"""The sample district's staff roster, and the demonstration's accounts.

Staff ids are readable and stable (the same district and seed, the same ids);
``S`` stands for a code's digits after the six of the county:

============================  =====================  ================================
who                           id                     example
============================  =====================  ================================
grid worker n of a grid       ``wg`` S(9) n(2)       wg00100100101 (01 is the head)
community dispatcher n        ``sq`` S(6) n(2)       sq00100101
township dispatcher n         ``jd`` S(3) n(2)       jd00101 (街道, 镇 and 乡 alike)
county command centre n       ``qx`` n(2)            qx01 (区县)
staff n of a unit             ``dw`` digits(id) n(2) dw000101 (unit U0001)
analyst, planner, admin       ``fx01 gh01 gl01``     (分析, 规划, 管理)
============================  =====================  ================================

Grid workers carry the names the grid layer's ``worker_names`` gives (the
first is the grid head); urban grids are worked mostly by full-time workers,
villages mostly by part-time ones, and some grids have an informant besides.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridgis.people.roles import Grade, StaffRole
from gridgis.people.roster import ROSTER_COLUMNS
from gridgis.sample._names import person_names

if TYPE_CHECKING:
    from gridgis.layers import Layers
    from gridgis.store.staff import StaffDirectory

__all__ = ["DEMO_PASSWORD", "demo_accounts", "load_sample_staff", "sample_roster"]

DEMO_PASSWORD = "gridgis2026"
"""The one password of every sample account in ``gridgis serve --demo``."""
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "198", "199")
INFORMANT_SHARE = {"urban": 0.15, "rural": 0.3}
FULL_TIME_SHARE = {"urban": 0.8, "rural": 0.3}
DISPATCHERS = {StaffRole.COMMUNITY: 1, StaffRole.TOWNSHIP: 2, StaffRole.COMMAND_CENTRE: 3}
STAFF_PER_UNIT = 2


class _Phones:
    """Distinct mobile numbers, drawn from the generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def __call__(self) -> str:
        while True:
            number = (f"{MOBILE_PREFIXES[self.rng.integers(len(MOBILE_PREFIXES))]}"
                      f"{self.rng.integers(10**8):08d}")
            if number not in self.taken:
                self.taken.add(number)
                return number


def _worker_names(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [n.strip() for n in re.split(r"[、,，;；]", text) if n.strip()]


def sample_roster(layers: Layers, *, seed: int = 2026) -> pd.DataFrame:
    """The staff of a district: grid workers, dispatchers of each level, unit staff.

    Every grid has its grid head and its other workers (the names and number
    of the grid layer's ``worker_names`` and ``workers``; one generated grid
    head where a grid names nobody), some an informant besides; every
    community 1 dispatcher, every township 2, the county 3; every unit 2
    staff; and one analyst, one planner and one administrator for the county.

    Parameters
    ----------
    layers : Layers
        The district (the sample's, or any with grids, communities, townships
        and units).
    seed : int, default 2026
        Seed of the names, grades and phones drawn; the same district and
        seed give the same roster.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`gridgis.people.roster.ROSTER_COLUMNS`, one
        person a row, None where a column does not apply; ``grids`` is a
        ``;``-separated list.

    Examples
    --------
    >>> from gridgis.sample import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> roster = sample_roster(layers)
    >>> int((roster["grade"] == "grid_head").sum()) == len(layers.grids)
    True
    >>> roster.loc[roster["role"] == "command_centre", "staff_id"].tolist()
    ['qx01', 'qx02', 'qx03']
    """
    rng = np.random.default_rng(seed)
    phone = _Phones(rng)
    rows: list[dict[str, object]] = []

    def add(staff_id: str, name: str, role: StaffRole, area: str | None, *,
            grade: Grade | None = None, unit: str | None = None, grid: str | None = None
            ) -> None:
        rows.append({"staff_id": staff_id, "name": name, "role": role.value,
                     "grade": grade.value if grade else None, "area_code": area,
                     "unit_id": unit, "phone": phone(), "grids": grid})

    grids = layers.grids.sort_values("code")
    kinds = (dict(zip(layers.communities["code"], layers.communities["kind"], strict=True))
             if "kind" in layers.communities else {})
    names = grids["worker_names"] if "worker_names" in grids else pd.Series(None, grids.index)
    counts = (pd.to_numeric(grids["workers"], errors="coerce").fillna(0).astype(int)
              if "workers" in grids else pd.Series(0, grids.index))
    for code, community, text, count in zip(grids["code"], grids["community_code"], names,
                                            counts, strict=True):
        kind = "rural" if kinds.get(community) == "rural" else "urban"
        people = _worker_names(text)
        missing = max(count, 1) - len(people)
        if missing > 0:
            people += person_names(rng, missing)
        prefix = f"wg{code[6:]}"
        for n, name in enumerate(people, start=1):
            grade = (Grade.GRID_HEAD if n == 1 else Grade.FULL_TIME
                     if rng.random() < FULL_TIME_SHARE[kind] else Grade.PART_TIME)
            add(f"{prefix}{n:02d}", name, StaffRole.GRID_WORKER, community, grade=grade,
                grid=code)
        if rng.random() < INFORMANT_SHARE[kind]:
            add(f"{prefix}{len(people) + 1:02d}", person_names(rng, 1)[0],
                StaffRole.GRID_WORKER, community, grade=Grade.INFORMANT, grid=code)

    district = str(grids["code"].iloc[0])[:6] if len(grids) else None
    levels = ((StaffRole.COMMUNITY, "sq", sorted(layers.communities["code"])),
              (StaffRole.TOWNSHIP, "jd", sorted(layers.townships["code"])),
              (StaffRole.COMMAND_CENTRE, "qx", [district] if district else []))
    for role, prefix, codes in levels:
        for code in codes:
            for n, name in enumerate(person_names(rng, DISPATCHERS[role]), start=1):
                add(f"{prefix}{code[6:]}{n:02d}", name, role, code)
    if layers.units is not None:
        units = layers.units.sort_values("unit_id")
        serves = (units["township_code"] if "township_code" in units
                  else pd.Series(None, units.index))
        for unit, township in zip(units["unit_id"], serves, strict=True):
            area = township if isinstance(township, str) and township else district
            digits = re.sub(r"\D", "", str(unit)) or re.sub(r"[^0-9A-Za-z]", "", str(unit))
            for n, name in enumerate(person_names(rng, STAFF_PER_UNIT), start=1):
                add(f"dw{digits}{n:02d}", name, StaffRole.UNIT, area, unit=str(unit))
    for staff_id, role in (("fx01", StaffRole.ANALYST), ("gh01", StaffRole.PLANNER),
                           ("gl01", StaffRole.ADMIN)):
        add(staff_id, person_names(rng, 1)[0], role, district)
    return pd.DataFrame(rows, columns=list(ROSTER_COLUMNS), dtype=object)


def demo_accounts(roster: pd.DataFrame) -> pd.DataFrame:
    """One account to try per role (a grid head for grid workers), in the order of the roles.

    Examples
    --------
    >>> from gridgis.sample import sample_district
    >>> demo_accounts(sample_roster(sample_district(scale=0.05)))["role"].tolist()[:3]
    ['grid_worker', 'community', 'township']
    """
    heads = roster["grade"].isna() | (roster["grade"] == Grade.GRID_HEAD.value)
    picked = roster[heads].drop_duplicates("role")
    order = {role.value: i for i, role in enumerate(StaffRole)}
    return picked.sort_values("role", key=lambda s: s.map(order)).reset_index(drop=True)


def load_sample_staff(directory: StaffDirectory, layers: Layers, *,
                      password: str = DEMO_PASSWORD, seed: int = 2026) -> pd.DataFrame | None:
    """Fill an empty staff directory with the district's sample roster, all with one password.

    The password is hashed once and the hash shared (argon2 takes a quarter
    of a second a hash): for demonstrations only.

    Parameters
    ----------
    directory : StaffDirectory
    layers : Layers
    password : str, default :data:`DEMO_PASSWORD`
    seed : int, default 2026

    Returns
    -------
    pandas.DataFrame or None
        The accounts to try (:func:`demo_accounts`), or None when the
        directory already had people (then nothing is changed).
    """
    from gridgis.people.passwords import hash_password
    from gridgis.people.roster import roster_members

    if directory.count():
        return None
    roster = sample_roster(layers, seed=seed)
    directory.save_many(roster_members(roster), password_hash=hash_password(password))
    return demo_accounts(roster)
