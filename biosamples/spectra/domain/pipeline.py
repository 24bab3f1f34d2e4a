"""The preprocessing pipeline a protocol declares per technique, as pure functions.

Order (``trialsite.protocols.spectra.Preprocessing``): keep the declared regions; correct the
baseline of each region (pybaselines); normalise the kept points; Savitzky-Golay smoothing or
derivative of each region (scipy); then average the replicates of one aliquot. Regions are
treated one by one where a step looks at neighbours, so nothing is smoothed across a gap.
"""

import numpy as np
from pybaselines import Baseline
from scipy.signal import savgol_filter

NORMALISATIONS = ("vector", "snv", "area", "amide_i", "none")


class PipelineError(ValueError):
    pass


def region_slices(grid, regions):
    """Index ranges of ``grid`` inside each region (inclusive bounds), in region order."""
    slices = []
    for low, high in regions:
        idx = np.flatnonzero((grid >= low) & (grid <= high))
        if idx.size == 0:
            raise PipelineError(f"region {low}-{high} holds no point of the axis")
        slices.append(slice(int(idx[0]), int(idx[-1]) + 1))
    return slices


def baseline_corrected(x, y, method, options):
    """``y`` minus the baseline fitted by the pybaselines ``method`` (``none``: unchanged)."""
    if method == "none":
        return y.copy()
    fitter = Baseline(x_data=x, check_finite=True)
    try:
        fit = getattr(fitter, method)
    except AttributeError:
        raise PipelineError(f"pybaselines has no method {method!r}") from None
    baseline, _params = fit(y, **dict(options))
    return y - baseline


def normalised(y, method, *, x=None, amide_i_band=None):
    if method == "vector":
        norm = np.linalg.norm(y)
        return y / norm if norm else y.copy()
    if method == "snv":
        sd = y.std(ddof=1)
        return (y - y.mean()) / sd if sd else y - y.mean()
    if method == "area":
        area = np.abs(y).sum()
        return y / area if area else y.copy()
    if method == "amide_i":
        band = (x >= amide_i_band[0]) & (x <= amide_i_band[1])
        peak = y[band].max() if band.any() else 0.0
        if peak <= 0:
            raise PipelineError("no positive amide I maximum to normalise by")
        return y / peak
    if method == "none":
        return y.copy()
    raise PipelineError(f"unknown normalisation {method!r}; use one of {NORMALISATIONS}")


def savitzky_golay(y, *, window, polyorder, derivative, step):
    """Savitzky-Golay filter of one region; the derivative is per unit of the axis."""
    if window > y.size:
        raise PipelineError(f"the Savitzky-Golay window ({window}) is longer than a region "
                            f"({y.size} points)")
    return savgol_filter(y, window, polyorder, deriv=derivative, delta=step, mode="interp")


def preprocess_one(grid, values, prep, step):
    """One resampled spectrum through regions, baseline, normalisation and Savitzky-Golay."""
    slices = region_slices(grid, prep.regions)
    parts = []
    for piece in slices:
        y = values[piece]
        if not np.isfinite(y).all():
            raise PipelineError("the spectrum does not cover a declared region")
        parts.append(baseline_corrected(grid[piece], y, prep.baseline, prep.baseline_options))
    kept_x = np.concatenate([grid[piece] for piece in slices])
    joined = normalised(np.concatenate(parts), prep.normalisation, x=kept_x,
                        amide_i_band=prep.amide_i_band)
    out, start = [], 0
    for piece in slices:
        size = piece.stop - piece.start
        out.append(savitzky_golay(joined[start:start + size], window=prep.savgol_window,
                                  polyorder=prep.savgol_polyorder,
                                  derivative=prep.savgol_derivative, step=step))
        start += size
    return kept_x, np.concatenate(out)


def average_replicates(rows, how):
    rows = np.asarray(rows, dtype=float)
    if how == "mean":
        return rows.mean(axis=0)
    if how == "median":
        return np.median(rows, axis=0)
    raise PipelineError(f"unknown replicate average {how!r}")


def preprocess_replicates(grid, replicates, prep, step):
    """The preprocessed fingerprint of one aliquot from its replicates (each resampled)."""
    processed = [preprocess_one(grid, r, prep, step) for r in replicates]
    kept_x = processed[0][0]
    return kept_x, average_replicates([p[1] for p in processed], prep.replicate_average)
