"""Early warning: a category rising in an area against its own history (预警).

The rule, for every area × category series:

1. Split time at ``end - window_days``: the **recent window** (the last
   ``window_days`` days up to ``end``) and the **baseline** before it (all
   earlier data, or the last ``baseline_days`` days).
2. Under the null hypothesis "the daily rate did not change", with ``r``
   reports in the window of length ``w`` days and ``b`` in the baseline of
   length ``B`` days, the counts are Poisson with one common rate, and given
   the total ``n = r + b`` the recent count is Binomial(n, w / (w + B)).
   The one-sided p-value is ``P(X >= r)`` under that binomial: the exact
   conditional test for comparing two Poisson rates, which accounts for the
   uncertainty of the baseline rate itself (a short or sparse history cannot
   raise a false alarm just because its rate was estimated low).
3. The p-values of all tested series are corrected for multiple testing
   (Benjamini-Hochberg FDR by default, Bonferroni available), and a series
   alerts when its corrected p-value is at most ``alpha`` and the window
   holds at least ``min_count`` reports.

The size of the rise is given as ``ratio`` (observed / expected, 1.4 = a
40 % surge) and ``excess`` (observed - expected, in reports).

Caveat: the test assumes a rate constant apart from chance. Seasonal
categories (drains and fumes in summer, wage arrears before the Spring
Festival) rise every year; compare like seasons by choosing ``end`` and
``baseline_days``, or read their alerts with the season in mind.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from gridgis.analysis._common import (
    AREA_LEVELS,
    adjust_pvalues,
    as_datetime,
    require_columns,
)

__all__ = ["early_warning", "rate_increase_pvalue", "warning_counts", "warning_key",
           "warning_table", "warning_window"]


def rate_increase_pvalue(recent: np.ndarray | int, baseline: np.ndarray | int, *,
                         window_days: float, baseline_days: float) -> np.ndarray:
    """One-sided p-value that the recent daily rate exceeds the baseline rate.

    The exact conditional test for two Poisson counts: given
    ``n = recent + baseline``, ``recent ~ Binomial(n, w / (w + B))`` when the
    rate is the same in both periods.

    Parameters
    ----------
    recent, baseline : int or array of int
        Counts in the recent window and in the baseline.
    window_days, baseline_days : float
        Lengths of the two periods, in days (> 0).

    Returns
    -------
    numpy.ndarray
        ``P(X >= recent)``; 1 where ``recent`` is 0.

    Examples
    --------
    >>> from gridgis.analysis import rate_increase_pvalue
    >>> float(rate_increase_pvalue(4, 30, window_days=28, baseline_days=280).round(3))
    0.374
    >>> bool(rate_increase_pvalue(15, 30, window_days=28, baseline_days=280) < 1e-5)
    True
    """
    if window_days <= 0 or baseline_days <= 0:
        raise ValueError("window_days and baseline_days must be positive, got "
                         f"{window_days} and {baseline_days}")
    r = np.asarray(recent, dtype=float)
    b = np.asarray(baseline, dtype=float)
    share = window_days / (window_days + baseline_days)
    return np.where(r > 0, stats.binom.sf(r - 1, r + b, share), 1.0)


def early_warning(incidents: pd.DataFrame, *, level: str = "township",
                  window_days: int = 28, baseline_days: int | None = None,
                  start: pd.Timestamp | str | None = None,
                  end: pd.Timestamp | str | None = None,
                  categories: Sequence[str] | None = None, alpha: float = 0.05,
                  correction: str = "fdr_bh", min_count: int = 3) -> pd.DataFrame:
    """Test every area × category for a rise of its recent count over its history.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The incidents layer (``reported_at``, ``category`` and the area code
        column of ``level``).
    level : {"township", "community", "grid", "district"}, default "township"
        Areas compared; ``"district"`` tests each category over the whole
        district.
    window_days : int, default 28
        Length of the recent window ending at ``end``.
    baseline_days : int, optional
        Length of the baseline before the window; default all earlier data.
    start : timestamp, optional
        Beginning of the history (when recording began); default the first
        report. Set it when the earliest days may have had no report.
    end : timestamp, optional
        End of the recent window (exclusive); default just after the latest
        report.
    categories : sequence of str, optional
        Categories to test; default every category present.
    alpha : float, default 0.05
        Level of the corrected test (FDR or family-wise error).
    correction : {"fdr_bh", "bonferroni", "none"}, default "fdr_bh"
        Multiple-testing correction across all tested series.
    min_count : int, default 3
        Fewest reports in the window for an alert (a jump from 0 to 1 is not
        a surge to act on).

    Returns
    -------
    pandas.DataFrame
        One row per series with at least one report, indexed by
        ``(area code, category)`` (``("district", category)`` for the
        district), sorted by p-value, with columns ``recent``, ``baseline``,
        ``expected`` (baseline rate × window), ``ratio``, ``excess``,
        ``p_value``, ``p_adjusted`` and ``alert`` (bool). ``attrs`` record
        the window, baseline and rule.

    Raises
    ------
    LayerError
        If a needed column is missing.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import early_warning
    >>> layers = gridgis.sample_district()
    >>> table = early_warning(layers.incidents)
    >>> table.loc[table["alert"], ["recent", "baseline"]]  # doctest: +NORMALIZE_WHITESPACE
                            recent  baseline
    township_code category
    330399002     D06           15        40
    """
    key = warning_key(level)
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, got {window_days}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    require_columns(incidents, ("reported_at", "category", *([key] if key else [])),
                    layer="incidents", what="early_warning")
    reported = as_datetime(incidents["reported_at"])
    window = warning_window(reported.min(), reported.max(), window_days=window_days,
                            baseline_days=baseline_days, start=start, end=end)
    counts = warning_counts(incidents, key=key, window=window, categories=categories)
    return warning_table(counts, window=window, window_days=window_days, alpha=alpha,
                         correction=correction, min_count=min_count)


def warning_key(level: str) -> str | None:
    """The incidents' column of the areas ``level`` compares (None: the district)."""
    if level == "district":
        return None
    if level in AREA_LEVELS:
        return AREA_LEVELS[level]
    raise ValueError(f"level must be one of district, {', '.join(AREA_LEVELS)}; "
                     f"got {level!r}")


def warning_window(first: pd.Timestamp, last: pd.Timestamp, *, window_days: int,
                   baseline_days: int | None = None, start: pd.Timestamp | str | None = None,
                   end: pd.Timestamp | str | None = None
                   ) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """The history's start, the recent window's start and its end (exclusive).

    ``first`` and ``last`` are the earliest and latest reports; the other
    arguments are those of :func:`early_warning`.

    Raises
    ------
    ValueError
        When no history lies before the window.
    """
    end = (last + pd.Timedelta(seconds=1)) if end is None else pd.Timestamp(end)
    window_start = end - pd.Timedelta(days=window_days)
    start = first if start is None else pd.Timestamp(start)
    if baseline_days is not None:
        start = max(start, window_start - pd.Timedelta(days=baseline_days))
    if not (window_start - start) / pd.Timedelta(days=1) > 0:
        raise ValueError("no history before the recent window: the data begin at "
                         f"{start}, the window at {window_start}; shorten window_days")
    return start, window_start, end


def warning_counts(incidents: pd.DataFrame, *, key: str | None,
                   window: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp],
                   categories: Sequence[str] | None = None) -> pd.DataFrame:
    """Reports of each area × category in the recent window and in the baseline.

    Counts of parts of the incidents add up to the counts of the whole: a
    partitioned archive (:mod:`gridgis.parallel`) sums them partition by partition.

    Returns
    -------
    pandas.DataFrame
        ``recent`` and ``baseline`` (int), indexed by ``(area code, category)``
        (``key`` or ``"area"``), sorted; series without a report are absent.
    """
    start, window_start, end = window
    reported = as_datetime(incidents["reported_at"])
    keep = ((reported >= start) & (reported < end)).to_numpy()
    if categories is not None:
        keep = keep & incidents["category"].isin(list(categories)).to_numpy()
    frame = pd.DataFrame({
        "area": incidents[key].to_numpy() if key else "district",
        "category": incidents["category"].to_numpy(),
        "recent": (reported >= window_start).to_numpy(),
    })[keep]
    frame = frame[frame["area"].notna()]
    counts = (frame.groupby(["area", "category", "recent"]).size()
              .unstack("recent", fill_value=0)
              .reindex(columns=[True, False], fill_value=0))
    counts.columns = ["recent", "baseline"]
    counts.index = counts.index.set_names([key or "area", "category"])
    return counts.astype(int)


def warning_table(counts: pd.DataFrame, *,
                  window: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp], window_days: int,
                  alpha: float = 0.05, correction: str = "fdr_bh",
                  min_count: int = 3) -> pd.DataFrame:
    """The tested series of :func:`early_warning` from their counts (:func:`warning_counts`)."""
    start, window_start, end = window
    baseline_len = (window_start - start) / pd.Timedelta(days=1)
    out = counts.astype(int)
    out["expected"] = out["baseline"] * window_days / baseline_len
    expected = out["expected"].where(out["expected"] > 0)
    out["ratio"] = (out["recent"] / expected).fillna(np.inf).where(out["recent"] > 0, 0.0)
    out["excess"] = out["recent"] - out["expected"]
    out["p_value"] = rate_increase_pvalue(out["recent"].to_numpy(), out["baseline"].to_numpy(),
                                          window_days=window_days, baseline_days=baseline_len)
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), correction)
    out["alert"] = (out["p_adjusted"] <= alpha) & (out["recent"] >= min_count)
    out = out.sort_values(["p_value", "excess"], ascending=[True, False], kind="stable")
    out.attrs.update({"window": (window_start, end), "baseline": (start, window_start),
                      "rule": f"exact conditional Poisson test, {correction}, alpha={alpha}",
                      "tests": len(out)})
    return out
