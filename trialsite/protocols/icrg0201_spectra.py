"""ICRG0201 spectroscopy plan: plasma fingerprints by the central quantum-optics (infrared)
laboratory, and Raman spectra by the benchmark laboratory.

The registry text says: QO (infrared laser) analysis of liquid biopsies at enrolment, monthly
for three months, then every three months; support vector machines with a polynomial kernel;
age stratification in different age groups; a hypothesised sensitivity of 97 % to tell
responders from non-responders (alpha 5 %, power 95 %, N = 80); all tests one-sided; a Raman
benchmark. Everything else below is an assumption, listed with its source.
"""

from trialsite.protocols.spectra import (
    Assumption,
    Classifier,
    Preprocessing,
    QualityChecks,
    SpectralAxis,
    SpectraPlan,
    Technique,
)

QO = Technique(
    code="QO",
    label="Quantum optics (mid-infrared absorbance)",
    lab_codes=("QOLAB",),
    # The biological fingerprint region and the C-H stretches of lipids: 950-3050 cm-1 at
    # 2 cm-1 (1,051 points per spectrum).
    axis=SpectralAxis(start=950.0, stop=3050.0, step=2.0),
    intensity_label="absorbance",
    qc=QualityChecks(
        min_coverage=0.95,
        saturation_level=2.5, max_saturated_fraction=0.001,
        signal_band=(1600.0, 1700.0), noise_band=(1900.0, 2000.0), min_snr=50.0,
        water_band=(1800.0, 1900.0), max_water_ratio=3.0,
    ),
    preprocessing=Preprocessing(
        # Carbohydrate/nucleic-acid (950-1200), proteins (amide I/II, 1480-1720) and lipid
        # C-H stretches (2800-3000); the CO2 band and the silent region are left out.
        regions=((950.0, 1200.0), (1480.0, 1720.0), (2800.0, 3000.0)),
        baseline="asls", baseline_options=(("lam", 1e6), ("p", 0.01)),
        normalisation="vector",
        savgol_window=11, savgol_polyorder=2, savgol_derivative=1,
        replicate_average="mean",
    ),
    assumptions=(
        Assumption("Axis 950-3050 cm-1 at 2 cm-1; regions; QC limits",
                   "common practice in plasma FTIR (fingerprint, amide and lipid bands); the "
                   "registry gives no instrument parameters"),
        Assumption("Baseline AsLS (lam 1e6, p 0.01), vector normalisation, Savitzky-Golay "
                   "first derivative (window 11, order 2), mean of replicates",
                   "usual chemometric preprocessing; the registry names none"),
    ),
)

RAMAN = Technique(
    code="RAMAN",
    label="Raman spectroscopy (benchmark)",
    lab_codes=("RAMAN",),
    axis=SpectralAxis(start=400.0, stop=1800.0, step=1.0),
    intensity_label="intensity (counts)",
    qc=QualityChecks(
        min_coverage=0.95,
        saturation_level=65000.0, max_saturated_fraction=0.001,
        signal_band=(1640.0, 1680.0), noise_band=(1750.0, 1800.0), min_snr=20.0,
        water_band=None,
    ),
    preprocessing=Preprocessing(
        regions=((600.0, 1750.0),),
        baseline="imodpoly", baseline_options=(("poly_order", 5),),
        normalisation="snv",
        savgol_window=9, savgol_polyorder=2, savgol_derivative=0,
        replicate_average="mean",
    ),
    assumptions=(
        Assumption("Axis 400-1800 cm-1 at 1 cm-1, fluorescence baseline by 5th-order "
                   "improved modified polynomial, SNV, Savitzky-Golay smoothing (window 9)",
                   "common practice in plasma Raman; the registry names only the method"),
    ),
)

SPECTRA_PLAN = SpectraPlan(
    techniques=(QO, RAMAN),
    classifier=Classifier(
        degrees=(2, 3), c_values=(0.1, 1.0, 10.0), coef0=1.0,
        outer_folds=5, inner_folds=4,
        age_groups=((18, 50), (50, 65), (65, None)),
        permutations=50, seed=20221220,
        hypothesised_sensitivity=0.97, alpha=0.05,
        pca_components=20,
        assumptions=(
            Assumption("Age groups <50, 50-64, >=65 years",
                       "the registry asks for age strata without giving their limits"),
            Assumption("One-sided exact binomial test of H0: sensitivity >= 97 % against "
                       "H1: sensitivity < 97 %",
                       "the registry hypothesises 97 % sensitivity and one-sided tests at "
                       "alpha 5 % but does not state the null hypothesis"),
            Assumption("Grid: degree 2 or 3, C 0.1/1/10, coef0 1; 5 outer and 4 inner "
                       "patient folds; 20 principal components; 50 permutations (the "
                       "smallest p, 1/51, is below 0.05)",
                       "our choice for 80 patients; the registry names only the kernel"),
        ),
    ),
    baseline_visit="BL",
    early_visits=("BL", "M1", "M2", "M3"),
    primary_technique="QO",
)
