"""Reading spectrum files as received, resampling and the upload QC figures."""

import numpy as np
import pytest

from biosamples.spectra.domain import qc, readers
from trialsite.protocols.icrg0201_spectra import QO

X = np.arange(950.0, 3051.0, 2.0)


def band(x, centre, width, height):
    return height * np.exp(-0.5 * ((x - centre) / width) ** 2)


def plasma_like(x, noise=0.001, seed=0):
    rng = np.random.default_rng(seed)
    return band(x, 1655, 24, 0.9) + band(x, 1545, 22, 0.5) + 0.05 + rng.normal(0, noise, x.size)


def test_jcamp_round_trip_keeps_every_point():
    y = plasma_like(X)
    spectrum = readers.read_jcamp(readers.jcamp_text(X, y, title="s", y_units="ABSORBANCE")
                                  .encode())
    assert spectrum.x.tolist() == X.tolist()
    assert spectrum.y == pytest.approx(y, abs=1e-6)
    assert spectrum.source_format == "jcamp"


def test_jcamp_without_its_labels_is_refused_with_lines():
    with pytest.raises(readers.SpectrumFileError) as caught:
        readers.read_jcamp(b"hello\nworld\n")
    text = str(caught.value)
    assert "line 1: no ##JCAMP-DX= label" in text
    assert "no ##XYDATA= block" in text
    assert "no ##END= label" in text


def test_jcamp_in_micrometres_is_refused_at_its_line():
    text = readers.jcamp_text(X, plasma_like(X), title="s", y_units="ABSORBANCE",
                              x_units="MICROMETERS")
    with pytest.raises(readers.SpectrumFileError, match="line 4: XUNITS is 'MICROMETERS'"):
        readers.read_jcamp(text.encode())


def test_jcamp_whose_point_count_disagrees_is_refused():
    text = readers.jcamp_text(X, plasma_like(X), title="s", y_units="ABSORBANCE")
    text = text.replace(f"##NPOINTS={X.size}", "##NPOINTS=12")
    with pytest.raises(readers.SpectrumFileError, match="line 10: NPOINTS says 12 but the "
                                                        f"data have {X.size} points"):
        readers.read_jcamp(text.encode())


def test_csv_reports_every_bad_line():
    data = b"wavenumber,absorbance\n1000,0.1\n1002,abc\n1004\n" + b"".join(
        f"{1006 + 2 * i},0.2\n".encode() for i in range(12))
    with pytest.raises(readers.SpectrumFileError) as caught:
        readers.read_csv(data)
    assert [p.line for p in caught.value.problems] == [3, 4]
    assert "'1002', 'abc' are not two numbers" in str(caught.value)


def test_csv_with_semicolons_and_unsorted_rows_is_read_ascending():
    rows = [f"{w};{w / 1000}" for w in range(1100, 1000, -5)]
    spectrum = readers.read_csv("\n".join(rows).encode())
    assert spectrum.x[0] == 1005 and spectrum.x[-1] == 1100
    assert spectrum.y[0] == pytest.approx(1.005)


def test_binary_and_unknown_files_are_refused():
    with pytest.raises(readers.SpectrumFileError, match="NUL"):
        readers.read_spectrum("a.csv", b"1,2\x00")
    with pytest.raises(readers.SpectrumFileError, match="unknown file type"):
        readers.read_spectrum("a.spc", b"1,2")


def test_resampling_interpolates_linearly_and_never_extrapolates():
    grid = np.array([0.0, 1.5, 3.0, 5.0])
    out = qc.resample(np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 40.0]), grid)
    assert np.isnan(out[0]) and np.isnan(out[3])
    assert out[1:3].tolist() == [15.0, 40.0]


def test_a_clean_spectrum_passes_qc():
    grid = qc.axis_values(QO.axis)
    y = plasma_like(grid)
    result = qc.quality(grid, y, grid, y, QO.qc)
    assert result.passed, result
    assert result.coverage == 1.0


def test_partial_range_saturation_noise_and_water_vapour_are_flagged():
    grid = qc.axis_values(QO.axis)
    short = grid[grid < 2000]
    y = plasma_like(short)
    assert qc.COVERAGE in qc.quality(short, y, grid, qc.resample(short, y, grid), QO.qc).flags
    saturated = plasma_like(grid) + band(grid, 1655, 24, 3.0)
    assert qc.SATURATION in qc.quality(grid, saturated, grid, saturated, QO.qc).flags
    noisy = plasma_like(grid, noise=0.05)
    assert qc.SNR in qc.quality(grid, noisy, grid, noisy, QO.qc).flags
    # Sharp lines every 4 cm-1 in the water-vapour band (rotation-vibration structure).
    water = plasma_like(grid) + np.where((grid > 1800) & (grid < 1900) & (grid % 8 == 2),
                                         0.02, 0.0)
    result = qc.quality(grid, water, grid, water, QO.qc)
    assert result.flags == (qc.WATER_VAPOUR,)


def test_the_direct_reading_of_plain_xydata_matches_the_jcamp_reader():
    import contextlib
    import io

    import jcamp

    y = plasma_like(X)
    text = readers.jcamp_text(X, y, title="s", y_units="ABSORBANCE").replace(
        "##YFACTOR=1", "##YFACTOR=0.5")
    direct = readers.read_jcamp(text.encode())
    with contextlib.redirect_stdout(io.StringIO()):
        reference = jcamp.read(io.StringIO(text))
    assert direct.x == pytest.approx(reference["x"])
    assert direct.y == pytest.approx(reference["y"])


def test_compressed_xydata_goes_through_the_jcamp_reader():
    # ASDF "SQZ" form: digits replaced by letters (JCAMP-DX 4.24 §5.9): @=0, A=1 ... I=9.
    text = ("##TITLE=sqz\n##JCAMP-DX=4.24\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##XFACTOR=1\n"
            "##YFACTOR=1\n##FIRSTX=1000\n##LASTX=1011\n##NPOINTS=12\n"
            "##XYDATA=(X++(Y..Y))\n1000A0B0C0D0E0F0\n1006F0E0D0C0B0A0\n##END=\n")
    spectrum = readers.read_jcamp(text.encode())
    assert spectrum.y.tolist() == [10, 20, 30, 40, 50, 60, 60, 50, 40, 30, 20, 10]
    assert spectrum.x[0] == 1000 and spectrum.x[-1] == 1011
