"""Resampling onto the technique's axis and the quality figures computed on upload.

A spectrum outside a limit is *flagged* (its flags say why); it is stored all the same and the
analysis decides, by the protocol's pipeline, whether flagged spectra take part.
"""

from dataclasses import dataclass

import numpy as np

COVERAGE = "coverage"
SATURATION = "saturation"
SNR = "snr"
WATER_VAPOUR = "water_vapour"

FLAG_TEXT = {
    COVERAGE: "does not cover the declared spectral range",
    SATURATION: "saturated points",
    SNR: "signal-to-noise below the limit",
    WATER_VAPOUR: "water-vapour lines",
}


def axis_values(axis):
    """The points of a ``SpectralAxis`` (start + k x step, k = 0..size-1)."""
    return axis.start + axis.step * np.arange(axis.size, dtype=float)


def resample(x, y, grid):
    """Linear interpolation of (x, y) on ``grid``; points of the grid outside the measured
    range are NaN, never extrapolated."""
    values = np.interp(grid, x, y, left=np.nan, right=np.nan)
    return values


def coverage(x, grid):
    """The fraction of the grid's points that lie within the measured range."""
    inside = (grid >= x[0]) & (grid <= x[-1])
    return float(inside.mean())


def _band(grid, values, band):
    mask = (grid >= band[0]) & (grid <= band[1]) & np.isfinite(values)
    return grid[mask], values[mask]


def noise_level(grid, values, band):
    """Standard deviation of the residual from a quadratic fit over a flat band."""
    x, y = _band(grid, values, band)
    if y.size < 5:
        return None
    fit = np.polyval(np.polyfit(x - x.mean(), y, 2), x - x.mean())
    return float(np.std(y - fit, ddof=3))


def signal_to_noise(grid, values, signal_band, noise_band):
    """Peak height in ``signal_band`` above the noise band's median, over the noise level."""
    _, signal = _band(grid, values, signal_band)
    _, flat = _band(grid, values, noise_band)
    noise = noise_level(grid, values, noise_band)
    if signal.size == 0 or flat.size == 0 or not noise:
        return None
    return float((signal.max() - np.median(flat)) / noise)


def roughness(grid, values, band):
    """Standard deviation of the second difference: sharp lines raise it, smooth bands do
    not."""
    _, y = _band(grid, values, band)
    if y.size < 5:
        return None
    return float(np.std(np.diff(y, n=2)))


@dataclass(frozen=True)
class QcResult:
    coverage: float
    saturated_fraction: float
    snr: float | None
    water_ratio: float | None
    flags: tuple[str, ...]

    @property
    def passed(self):
        return not self.flags

    def figures(self):
        return {"coverage": round(self.coverage, 6),
                "saturated_fraction": round(self.saturated_fraction, 6),
                "snr": None if self.snr is None else round(self.snr, 3),
                "water_ratio": None if self.water_ratio is None else round(self.water_ratio, 3)}


def quality(raw_x, raw_y, grid, values, checks):
    """QC figures of one spectrum: ``raw_*`` as received, ``values`` resampled on ``grid``."""
    flags = []
    covered = coverage(raw_x, grid)
    if covered < checks.min_coverage:
        flags.append(COVERAGE)
    saturated = float(np.mean(raw_y >= checks.saturation_level))
    if saturated > checks.max_saturated_fraction:
        flags.append(SATURATION)
    snr = signal_to_noise(grid, values, checks.signal_band, checks.noise_band)
    if snr is None or snr < checks.min_snr:
        flags.append(SNR)
    water = None
    if checks.water_band is not None:
        rough_water = roughness(grid, values, checks.water_band)
        rough_flat = roughness(grid, values, checks.noise_band)
        if rough_water is not None and rough_flat:
            water = rough_water / rough_flat
            if water > checks.max_water_ratio:
                flags.append(WATER_VAPOUR)
    return QcResult(coverage=covered, saturated_fraction=saturated, snr=snr,
                    water_ratio=water, flags=tuple(flags))
