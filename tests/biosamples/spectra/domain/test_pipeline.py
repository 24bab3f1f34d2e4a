"""The preprocessing steps against their reference definitions, on hand-made spectra."""

import numpy as np
import pytest

from biosamples.spectra.domain import pipeline
from trialsite.protocols.spectra import Preprocessing

GRID = np.arange(1000.0, 1201.0, 1.0)


def test_regions_keep_inclusive_bounds_in_declared_order():
    slices = pipeline.region_slices(GRID, ((1100.0, 1110.0), (1000.0, 1004.0)))
    assert [(GRID[s][0], GRID[s][-1]) for s in slices] == [(1100.0, 1110.0), (1000.0, 1004.0)]


def test_a_region_outside_the_axis_is_refused():
    with pytest.raises(pipeline.PipelineError, match="holds no point"):
        pipeline.region_slices(GRID, ((3000.0, 3100.0),))


def test_vector_normalisation_gives_unit_euclidean_norm():
    y = np.array([3.0, 4.0])
    assert pipeline.normalised(y, "vector").tolist() == [0.6, 0.8]


def test_snv_centres_and_scales_by_the_sample_standard_deviation():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    out = pipeline.normalised(y, "snv")
    # SNV: (y - mean) / s with s the sample (n - 1) standard deviation: s = sqrt(5/3).
    assert out == pytest.approx((y - 2.5) / np.sqrt(5 / 3))


def test_area_normalisation_divides_by_the_sum_of_absolute_values():
    assert pipeline.normalised(np.array([1.0, -3.0]), "area").tolist() == [0.25, -0.75]


def test_amide_i_normalisation_divides_by_the_band_maximum():
    x = np.array([1500.0, 1650.0, 1800.0])
    y = np.array([1.0, 4.0, 8.0])
    assert pipeline.normalised(y, "amide_i", x=x, amide_i_band=(1600, 1700)).tolist() == [
        0.25, 1.0, 2.0]


def test_savitzky_golay_first_derivative_of_a_parabola_is_exact():
    # A 2nd-order Savitzky-Golay fit reproduces a parabola exactly, so its first derivative
    # is 2ax + b at every point, per unit of the axis (step 2 here).
    x = np.arange(0.0, 40.0, 2.0)
    y = 0.5 * x ** 2 - 3 * x + 1
    d = pipeline.savitzky_golay(y, window=7, polyorder=2, derivative=1, step=2.0)
    assert d == pytest.approx(x - 3, abs=1e-9)


def test_savitzky_golay_smoothing_keeps_a_straight_line():
    y = 2.0 * GRID + 5
    assert pipeline.savitzky_golay(y, window=9, polyorder=2, derivative=0, step=1.0) == \
        pytest.approx(y)


def test_savitzky_golay_window_longer_than_a_region_is_refused():
    with pytest.raises(pipeline.PipelineError, match="window"):
        pipeline.savitzky_golay(np.ones(5), window=7, polyorder=2, derivative=0, step=1.0)


def test_imodpoly_baseline_removes_a_polynomial_background_under_a_peak():
    peak = np.exp(-0.5 * ((GRID - 1100) / 5) ** 2)
    background = 0.3 + 0.002 * (GRID - 1000) + 1e-5 * (GRID - 1000) ** 2
    corrected = pipeline.baseline_corrected(GRID, peak + background, "imodpoly",
                                            (("poly_order", 2),))
    far = np.abs(GRID - 1100) > 30
    assert np.abs(corrected[far]).max() < 0.01
    assert corrected.max() == pytest.approx(1.0, abs=0.02)


def test_asls_baseline_removes_a_sloping_background():
    peak = np.exp(-0.5 * ((GRID - 1100) / 4) ** 2)
    corrected = pipeline.baseline_corrected(GRID, peak + 0.5 + 0.004 * (GRID - 1000), "asls",
                                            (("lam", 1e5), ("p", 0.001)))
    assert np.abs(corrected[np.abs(GRID - 1100) > 30]).max() < 0.02
    assert corrected.max() == pytest.approx(1.0, abs=0.05)


def test_unknown_baseline_method_is_refused():
    with pytest.raises(pipeline.PipelineError, match="no method"):
        pipeline.baseline_corrected(GRID, GRID, "magic", ())


def test_replicates_are_averaged_point_by_point():
    rows = [[1.0, 2.0], [3.0, 6.0], [2.0, 100.0]]
    assert pipeline.average_replicates(rows, "mean").tolist() == [2.0, 36.0]
    assert pipeline.average_replicates(rows, "median").tolist() == [2.0, 6.0]


def test_the_declared_order_is_applied_region_by_region():
    prep = Preprocessing(regions=((1000.0, 1050.0), (1150.0, 1200.0)), baseline="none",
                         normalisation="vector", savgol_window=5, savgol_polyorder=2,
                         savgol_derivative=0)
    values = np.where(GRID < 1100, 1.0, 2.0)
    x, out = pipeline.preprocess_one(GRID, values, prep, 1.0)
    assert x.size == 102
    # Vector normalisation over both regions, then smoothing leaves constants unchanged and
    # does not blur across the gap.
    norm = np.sqrt(51 * 1 + 51 * 4)
    assert out[:51] == pytest.approx(1 / norm)
    assert out[51:] == pytest.approx(2 / norm)


def test_a_spectrum_missing_part_of_a_region_is_refused():
    prep = Preprocessing(regions=((1000.0, 1050.0),), baseline="none")
    values = GRID.copy()
    values[:10] = np.nan
    with pytest.raises(pipeline.PipelineError, match="does not cover"):
        pipeline.preprocess_one(GRID, values, prep, 1.0)
