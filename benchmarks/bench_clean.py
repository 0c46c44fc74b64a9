"""Cleaning a plan with many defects: ``clean`` (GEOS coverage_clean) against the old repair path.

Builds the sample district at ``--scale`` (1.35: about 1,000 grids), plants
``--defects`` defects with ``tests/planning/planted.py`` (overlaps, gaps between
grids, gaps along community outlines, overhangs; 0.3–1.5 m wide), then, in the
same run:

- **clean**: :func:`gridgis.planning.clean.clean` (gap width 2 m);
- **old repair**: :func:`gridgis.planning.repair.repair` with ``make_valid``,
  ``snap_m=2`` and ``fill_gaps`` (it has no overlap step); when GEOS fails in
  the snap step (it does on the default planting), without the snap.

Prints each one's wall time, the validation errors left, and the ratio.

    python benchmarks/bench_clean.py [--scale 1.35] [--defects 288] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402

from gridgis import sample_district  # noqa: E402
from gridgis.planning.clean import clean  # noqa: E402
from gridgis.planning.repair import repair  # noqa: E402
from gridgis.planning.validate import validate  # noqa: E402
from tests.planning.planted import plant  # noqa: E402


def _old_repair(broken):
    """make_valid, snap 2 m, fill gaps; without the snap when GEOS fails on it."""
    try:
        return repair(broken, make_valid=True, snap_m=2.0, fill_gaps=True)
    except shapely.errors.GEOSException as exc:
        print(f"    (old repair: the snap step failed in GEOS: {exc}; run without it)")
        return repair(broken, make_valid=True, fill_gaps=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.35)
    parser.add_argument("--defects", type=int, default=288)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    layers = sample_district(scale=args.scale)
    broken, defects = plant(layers, args.defects, seed=args.seed)
    before = validate(broken)
    print(f"{len(broken.grids):,} grids, {len(defects)} planted defects "
          f"({', '.join(f'{k} {n}' for k, n in defects['kind'].value_counts().items())}); "
          f"{len(before.errors)} validation errors before")
    results = {}
    for name, run in (("clean", lambda: clean(broken, gap_width_m=2.0)),
                      ("old repair", lambda: _old_repair(broken))):
        start = time.perf_counter()
        fixed, report = run()
        seconds = time.perf_counter() - start
        left = validate(fixed)
        results[name] = seconds
        counts = left.errors["rule"].value_counts().to_dict()
        print(f"{name:>10}: {seconds:7.1f} s, {len(report):4d} changes, "
              f"{len(left.errors):3d} errors left {counts}")
    ratio = results["old repair"] / results["clean"]
    print(f"clean is {ratio:.1f}× the speed of the old repair path")


if __name__ == "__main__":
    main()
