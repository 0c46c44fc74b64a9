"""Compiled GCJ-02 and BD-09 inverses, one point at a time (numba).

Each point is solved on its own: the fixed-point iteration
``w <- w + (target - forward(w))`` runs for that point until its own
correction is below the tolerance (or ``max_iter`` is reached), so a point's
answer never depends on the other points of its batch. The loop over points
holds a data-dependent inner loop and calls scalar ``sin``/``cos``/``sqrt``:
it is not vectorised, and the same point gives the same bits alone or in any
batch, at any position.

The formulas are those of :mod:`gridgis.crs` (Krasovsky ellipsoid, the
public GCJ-02 offset; the BD-09 step), written for one point.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_A = 6378245.0  # Krasovsky semi-major axis
_EE = 0.00669342162296594323  # Krasovsky first eccentricity squared
_PI = math.pi
_X_PI = math.pi * 3000.0 / 180.0
_LON_MIN, _LON_MAX, _LAT_MIN, _LAT_MAX = 72.004, 137.8347, 0.8293, 55.8271


@nb.njit(cache=True, nogil=True)
def gcj_forward(x: float, y: float) -> tuple[float, float]:
    """GCJ-02 position of one WGS84 point, without the China test."""
    u, v = x - 105.0, y - 35.0
    s = math.sqrt(abs(u))
    shared = (20.0 * math.sin(6.0 * u * _PI) + 20.0 * math.sin(2.0 * u * _PI)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * s + shared
    dlat += (20.0 * math.sin(v * _PI) + 40.0 * math.sin(v / 3.0 * _PI)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(v / 12.0 * _PI) + 320.0 * math.sin(v * _PI / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * s + shared
    dlon += (20.0 * math.sin(u * _PI) + 40.0 * math.sin(u / 3.0 * _PI)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(u / 12.0 * _PI) + 300.0 * math.sin(u / 30.0 * _PI)) * 2.0 / 3.0
    rad = y / 180.0 * _PI
    sin_rad = math.sin(rad)
    magic = 1.0 - _EE * sin_rad * sin_rad
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / (_A * (1.0 - _EE) / (magic * sqrt_magic) * _PI)
    dlon = dlon * 180.0 / (_A / sqrt_magic * math.cos(rad) * _PI)
    return x + dlon, y + dlat


@nb.njit(cache=True, nogil=True)
def bd_forward(x: float, y: float) -> tuple[float, float]:
    """BD-09 position of one GCJ-02 point."""
    z = math.hypot(x, y) + 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


@nb.njit(cache=True, nogil=True)
def _solve(kind: int, tx: float, ty: float, tol: float, max_iter: int) -> tuple[float, float]:
    """The point whose forward image (GCJ-02 when ``kind`` is 0, BD-09 when 1) is (tx, ty)."""
    wx, wy = tx, ty
    for _ in range(max_iter):
        if kind == 0:
            fx, fy = gcj_forward(wx, wy)
        else:
            fx, fy = bd_forward(wx, wy)
        dx, dy = tx - fx, ty - fy
        wx += dx
        wy += dy
        if abs(dx) < tol and abs(dy) < tol:
            break
    return wx, wy


@nb.njit(cache=True, nogil=True)
def gcj02_inverse(x: np.ndarray, y: np.ndarray, tol: float, max_iter: int,
                  out_x: np.ndarray, out_y: np.ndarray) -> None:
    """WGS84 of GCJ-02 points (1-D) into ``out_x``/``out_y``; outside China unchanged.

    The China test is made on the GCJ-02 input, as the usual libraries do; a
    NaN fails it and passes through.
    """
    for i in range(x.shape[0]):
        tx, ty = x[i], y[i]
        if _LON_MIN <= tx <= _LON_MAX and _LAT_MIN <= ty <= _LAT_MAX:
            out_x[i], out_y[i] = _solve(0, tx, ty, tol, max_iter)
        else:
            out_x[i], out_y[i] = tx, ty


@nb.njit(cache=True, nogil=True)
def bd09_inverse(x: np.ndarray, y: np.ndarray, tol: float, max_iter: int,
                 out_x: np.ndarray, out_y: np.ndarray) -> None:
    """GCJ-02 of BD-09 points (1-D) into ``out_x``/``out_y``; non-finite rows unchanged."""
    for i in range(x.shape[0]):
        tx, ty = x[i], y[i]
        if math.isfinite(tx) and math.isfinite(ty):
            out_x[i], out_y[i] = _solve(1, tx, ty, tol, max_iter)
        else:
            out_x[i], out_y[i] = tx, ty
