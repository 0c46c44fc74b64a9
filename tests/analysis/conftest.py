"""Tiny hand-made layers for the analysis tests: four 1 km² grids and seven incidents."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

PLANE = "EPSG:4549"  # CGCS2000 Gauss-Krüger, 120°E: metres
X0, Y0 = 560_000.0, 3_097_000.0  # near Wenzhou, about 120.6°E 28.0°N
NOW = pd.Timestamp("2026-01-31 00:00")

G1, G2, G3, G4 = ("330399001001001", "330399001001002", "330399001002001", "330399001002002")


def square(col: float, row: float, size: float = 1000.0) -> shapely.Polygon:
    x, y = X0 + col * size, Y0 + row * size
    return shapely.box(x, y, x + size, y + size)


def lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_crs(PLANE).to_crs(4326)


@pytest.fixture
def tiny_grids() -> gpd.GeoDataFrame:
    """2 x 2 grids of 1 km²: G1 (0,0), G2 (0,1) in community 001, G3 (1,0), G4 (1,1) in 002."""
    frame = gpd.GeoDataFrame(
        {"code": [G1, G2, G3, G4], "name": ["g1", "g2", "g3", "g4"],
         "community_code": [G1[:12], G2[:12], G3[:12], G4[:12]],
         "households": [100, 200, 300, 400], "population": [250, 500, 750, 1000],
         "workers": [1, 2, 1, 2], "worker_names": ["甲", "乙、丙", "丁", "戊、己"]},
        geometry=[square(0, 0), square(0, 1), square(1, 0), square(1, 1)])
    frame.index = pd.Index(frame["code"].to_numpy(), name=None)
    return lonlat(frame)


@pytest.fixture
def tiny_communities(tiny_grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = tiny_grids.dissolve(by="community_code").geometry
    frame = gpd.GeoDataFrame({"code": geoms.index.to_numpy(), "name": ["c1", "c2"],
                              "township_code": "330399001", "kind": "urban"},
                             geometry=geoms.to_numpy(), crs=tiny_grids.crs)
    frame.index = pd.Index(frame["code"].to_numpy())
    return frame


@pytest.fixture
def tiny_townships(tiny_grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"code": ["330399001"], "name": ["t1"],
                              "district_code": ["330399"]},
                             geometry=[tiny_grids.union_all()], crs=tiny_grids.crs)
    frame.index = pd.Index(frame["code"].to_numpy())
    return frame


T = pd.Timestamp
NAT = pd.NaT


@pytest.fixture
def tiny_incidents() -> gpd.GeoDataFrame:
    """Seven incidents; the expected metrics are worked out by hand in the tests."""
    rows = [
        # grid, cat, status, reported, resolve_by, resolved, verified, esc, sat, source
        (G1, "D01", "closed", T("2026-01-01 08:00"), T("2026-01-16 08:00"),
         T("2026-01-02 08:00"), T("2026-01-02 20:00"), 0, 5.0, "grid_worker"),
        (G1, "D01", "closed", T("2026-01-03 08:00"), T("2026-01-18 08:00"),
         T("2026-01-20 08:00"), T("2026-01-22 08:00"), 1, 2.0, "hotline"),
        (G1, "S01", "in_progress", T("2026-01-10 08:00"), T("2026-01-11 08:00"),
         NAT, NAT, 0, np.nan, "app"),
        (G1, "D01", "rejected", T("2026-01-12 00:00"), T("2026-01-27 00:00"),
         NAT, NAT, 0, np.nan, "hotline"),
        (G2, "E02", "closed", T("2026-01-05 08:00"), T("2026-01-20 08:00"),
         T("2026-01-06 20:00"), T("2026-01-07 08:00"), 0, 4.0, "grid_worker"),
        (G2, "E02", "dispatched", T("2026-01-30 08:00"), T("2026-02-14 08:00"),
         NAT, NAT, 0, np.nan, "app"),
        (G3, "D06", "resolved", T("2026-01-15 08:00"), T("2026-01-18 08:00"),
         T("2026-01-16 08:00"), NAT, 0, np.nan, "hotline"),
    ]
    cols = ["grid_code", "category", "status", "reported_at", "resolve_by", "resolved_at",
            "verified_at", "escalation_level", "satisfaction", "source"]
    frame = pd.DataFrame(rows, columns=cols)
    for col in ("reported_at", "resolve_by", "resolved_at", "verified_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["community_code"] = frame["grid_code"].str.slice(0, 12)
    frame["township_code"] = frame["grid_code"].str.slice(0, 9)
    frame.index = pd.Index([f"E{i}" for i in range(1, 8)])
    centre = {G1: (0.5, 0.5), G2: (0.5, 1.5), G3: (1.5, 0.5), G4: (1.5, 1.5)}
    pts = [shapely.Point(X0 + 1000 * centre[g][0], Y0 + 1000 * centre[g][1])
           for g in frame["grid_code"]]
    return lonlat(gpd.GeoDataFrame(frame, geometry=pts))


@pytest.fixture
def tiny_zones(tiny_grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One zone per grid: G1 high, G2 medium, G3 and G4 low."""
    frame = gpd.GeoDataFrame(
        {"zone_id": [f"{g}-P1" for g in (G1, G2, G3, G4)],
         "level": ["high", "medium", "low", "low"], "grid_code": [G1, G2, G3, G4]},
        geometry=tiny_grids.geometry.to_numpy(), crs=tiny_grids.crs)
    frame.index = pd.Index(frame["zone_id"].to_numpy())
    return frame
