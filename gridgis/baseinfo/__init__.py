"""Base information kept by the grid (一标三实): standard addresses, houses, people, organisations.

The registers live in the store beside the incidents (:mod:`gridgis.baseinfo.tables`);
:class:`BaseInfoStore` adds, changes and cancels records with their history,
each located in its grid; :mod:`gridgis.baseinfo.relocate` re-assigns them
after a plan change; :mod:`gridgis.baseinfo.sample` makes a synthetic
population for the sample district.
"""

from gridgis.baseinfo.access import check_keep, present_person, read_areas
from gridgis.baseinfo.register import BaseInfoStore, locator_of
from gridgis.baseinfo.relocate import count_moves, reassign_all
from gridgis.baseinfo.sample import load_sample, sample_baseinfo
from gridgis.baseinfo.terms import KINDS

__all__ = [
    "KINDS",
    "BaseInfoStore",
    "check_keep",
    "count_moves",
    "load_sample",
    "locator_of",
    "present_person",
    "read_areas",
    "reassign_all",
    "sample_baseinfo",
]
