"""The shape of a study's spectroscopy plan: which techniques its laboratories measure, the axis
each spectrum is resampled on, the quality checks made at upload, the preprocessing pipeline
and the classifier of the fingerprint analysis. Frozen data; the maths that uses it lives in
``biosamples.spectra.domain``.

Every number a protocol module gives here is either read from the protocol or marked as an
assumption with where it came from (``Assumption``), and the analysis report lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Assumption:
    """A value the registry text does not give, with its source."""

    what: str
    source: str


@dataclass(frozen=True)
class SpectralAxis:
    """The evenly spaced axis every spectrum of a technique is resampled on (ascending)."""

    start: float
    stop: float
    step: float
    unit: str = "cm-1"

    @property
    def size(self):
        return int(round((self.stop - self.start) / self.step)) + 1


@dataclass(frozen=True)
class QualityChecks:
    """Figures computed on upload; a spectrum outside a limit is flagged, never dropped."""

    #: The received spectrum must cover at least this fraction of the declared axis.
    min_coverage: float
    #: Values at or above this level are saturated (detector limit, in the technique's unit)...
    saturation_level: float
    #: ...and more than this fraction of saturated points flags the spectrum.
    max_saturated_fraction: float
    #: Signal-to-noise: peak height in ``signal_band`` over the noise (standard deviation of
    #: the residual from a 2nd-order fit) in the flat ``noise_band``.
    signal_band: tuple[float, float]
    noise_band: tuple[float, float]
    min_snr: float
    #: Water vapour: the roughness (std. of the second difference) in ``water_band`` over the
    #: roughness in ``noise_band``; above ``max_water_ratio`` the sharp rotation-vibration
    #: lines of atmospheric water are present. ``None``: not checked (Raman).
    water_band: tuple[float, float] | None = None
    max_water_ratio: float = 3.0


@dataclass(frozen=True)
class Preprocessing:
    """The pipeline, in this order: replicate averaging, regions, baseline, normalisation,
    Savitzky-Golay smoothing/derivative."""

    #: Spectral regions kept (inclusive bounds, in the axis unit).
    regions: tuple[tuple[float, float], ...]
    #: A pybaselines method name (``asls``, ``arpls``, ``modpoly``…) or ``none``, and its
    #: keyword arguments as pairs (frozen).
    baseline: str = "asls"
    baseline_options: tuple[tuple[str, object], ...] = ()
    #: ``vector`` (unit Euclidean norm), ``snv`` (standard normal variate), ``area`` (unit
    #: sum of absolute values), ``amide_i`` (divide by the maximum in ``amide_i_band``), or
    #: ``none``.
    normalisation: str = "vector"
    amide_i_band: tuple[float, float] = (1600.0, 1700.0)
    savgol_window: int = 11
    savgol_polyorder: int = 2
    savgol_derivative: int = 1
    #: How replicates of one aliquot become one spectrum: ``mean`` or ``median``.
    replicate_average: str = "mean"
    #: Whether spectra flagged by QC are left out of the analysis (they stay stored).
    exclude_failed_qc: bool = True


@dataclass(frozen=True)
class Technique:
    code: str
    label: str
    #: Laboratories of the sample plan that measure with this technique.
    lab_codes: tuple[str, ...]
    axis: SpectralAxis
    intensity_label: str
    qc: QualityChecks
    preprocessing: Preprocessing
    assumptions: tuple[Assumption, ...] = ()


@dataclass(frozen=True)
class Classifier:
    """SVM with a polynomial kernel, tuned by nested cross-validation over patient folds."""

    degrees: tuple[int, ...] = (2, 3)
    c_values: tuple[float, ...] = (0.1, 1.0, 10.0)
    coef0: float = 1.0
    outer_folds: int = 5
    inner_folds: int = 4
    #: Folds keep the age groups' proportions when the analysis asks for it.
    age_groups: tuple[tuple[int, int | None], ...] = ()
    #: Label permutations for the permutation test of the AUC.
    permutations: int = 100
    seed: int = 20221220
    #: The sensitivity the sample size was computed from, and the one-sided level.
    hypothesised_sensitivity: float = 0.97
    alpha: float = 0.05
    #: Principal components kept before the SVM (0: none).
    pca_components: int = 20
    assumptions: tuple[Assumption, ...] = ()


@dataclass(frozen=True)
class SpectraPlan:
    techniques: tuple[Technique, ...]
    classifier: Classifier
    #: Visit codes whose fingerprint is the baseline (question 1) and the early ones
    #: (question 2).
    baseline_visit: str = "BL"
    early_visits: tuple[str, ...] = ()
    #: The technique the protocol's primary question is asked with; the others are the
    #: benchmark, shown side by side.
    primary_technique: str = ""
    assumptions: tuple[Assumption, ...] = field(default_factory=tuple)

    def technique(self, code):
        for technique in self.techniques:
            if technique.code == code:
                return technique
        raise KeyError(f"no technique {code!r} in the spectroscopy plan")

    def technique_of_lab(self, lab_code):
        return tuple(t for t in self.techniques if lab_code in t.lab_codes)
