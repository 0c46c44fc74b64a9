"""One-table summaries of a district, for the command line and the README."""

from __future__ import annotations

import pandas as pd

from gridgis.incidents.names import OPEN_STATES
from gridgis.layers import Layers

__all__ = ["township_summary"]



def township_summary(layers: Layers) -> pd.DataFrame:
    """Count communities, grids, households, population and incidents per township.

    Parameters
    ----------
    layers : Layers
        A district; ``incidents`` may be absent.

    Returns
    -------
    pandas.DataFrame
        One row per township (indexed by its code) plus a ``total`` row, with
        ``name``, ``communities``, ``grids``, ``households``, ``population``,
        ``households_per_grid``, ``incidents``, ``open`` and ``closed_share``.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> table = township_summary(sample_district(scale=0.05))
    >>> int(table.loc["total", "grids"]) > 0
    True
    """
    t = layers.townships.set_index("code")
    grids = layers.grids.assign(township=layers.grids["community_code"].str.slice(0, 9))
    comm = layers.communities.groupby("township_code").size()
    per = grids.groupby("township")[["households", "population"]].sum()
    table = pd.DataFrame({
        "name": t["name"],
        "communities": comm.reindex(t.index, fill_value=0),
        "grids": grids.groupby("township").size().reindex(t.index, fill_value=0),
        "households": per["households"].reindex(t.index, fill_value=0),
        "population": per["population"].reindex(t.index, fill_value=0),
    })
    inc = layers.incidents
    if inc is not None:
        by_town = inc.groupby("township_code")
        table["incidents"] = by_town.size().reindex(t.index, fill_value=0)
        open_states = [str(state) for state in OPEN_STATES]
        table["open"] = by_town["status"].agg(lambda s: int(s.isin(open_states).sum())
                                              ).reindex(t.index, fill_value=0)
    total = table.drop(columns="name").sum().to_frame("total").T.astype("int64")
    table = pd.concat([table, total.assign(name="total")[table.columns]])
    table["households_per_grid"] = (table["households"] / table["grids"]).round(0).astype(int)
    if inc is not None:
        table["closed_share"] = ((table["incidents"] - table["open"])
                                 / table["incidents"]).round(3)
    table.index.name = "township"
    return table
