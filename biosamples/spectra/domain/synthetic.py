"""Synthetic plasma spectra for the demo trial, the benchmark and the tests: no real data.

Bands (Gaussian, centre cm-1 / width / height) follow textbook plasma infrared assignments:
amide I (~1655) and amide II (~1545) of proteins, lipid C-H stretches (2850-2960), ester C=O
(~1740), and the carbohydrate / nucleic-acid region (1030-1240). On top: a sloping, curved
baseline, white noise, and, for responders, a small change of two band heights (the planted
signal the analysis should find).
"""

import numpy as np

PLASMA_IR_BANDS = (
    (1030.0, 18.0, 0.18),  # carbohydrates (C-O)
    (1080.0, 20.0, 0.16),  # nucleic acids, PO2- symmetric stretch
    (1240.0, 25.0, 0.20),  # PO2- antisymmetric / amide III
    (1400.0, 20.0, 0.15),
    (1455.0, 18.0, 0.14),  # CH2 bending
    (1545.0, 22.0, 0.55),  # amide II
    (1655.0, 24.0, 0.95),  # amide I
    (1740.0, 12.0, 0.06),  # lipid ester C=O
    (2852.0, 10.0, 0.10),  # lipid CH2 symmetric
    (2872.0, 10.0, 0.07),
    (2925.0, 14.0, 0.17),  # lipid CH2 antisymmetric
    (2960.0, 12.0, 0.14),  # CH3 antisymmetric
)

PLASMA_RAMAN_BANDS = (
    (621.0, 8.0, 300.0), (643.0, 8.0, 250.0), (759.0, 10.0, 500.0),  # aromatic amino acids
    (852.0, 12.0, 400.0), (1003.0, 6.0, 1500.0),  # phenylalanine ring breathing
    (1125.0, 15.0, 400.0), (1157.0, 10.0, 900.0), (1340.0, 18.0, 700.0),
    (1447.0, 18.0, 1100.0),  # CH2 deformation
    (1520.0, 10.0, 1200.0), (1655.0, 22.0, 1000.0),  # carotenoids, amide I
)

#: The planted difference: (band index, relative change of height) for responders.
IR_SIGNAL = ((1, 0.06), (8, -0.06))
RAMAN_SIGNAL = ((4, 0.05), (9, -0.06))


def _bands(grid, bands, scale):
    y = np.zeros_like(grid)
    for (centre, width, height), factor in zip(bands, scale, strict=True):
        y += height * factor * np.exp(-0.5 * ((grid - centre) / width) ** 2)
    return y


def spectrum(grid, *, technique, responder, rng, effect=1.0, noise=None, subject_shift=None):
    """One synthetic spectrum on ``grid``; ``subject_shift`` keeps a patient's own profile
    (band-height factors) the same from visit to visit."""
    bands, signal = ((PLASMA_IR_BANDS, IR_SIGNAL) if technique == "QO"
                     else (PLASMA_RAMAN_BANDS, RAMAN_SIGNAL))
    scale = np.ones(len(bands)) if subject_shift is None else np.array(subject_shift)
    if responder:
        scale = scale.copy()
        for index, change in signal:
            scale[index] *= 1.0 + change * effect
    y = _bands(grid, bands, scale)
    span = grid[-1] - grid[0]
    t = (grid - grid[0]) / span
    if technique == "QO":
        drift = rng.normal(0.05, 0.02) + rng.normal(0.0, 0.03) * t + rng.normal(0, 0.02) * t ** 2
        sigma = 0.0015 if noise is None else noise
    else:
        drift = 2000.0 + rng.normal(0, 300) + rng.normal(800, 200) * t - 600 * t ** 2
        sigma = 12.0 if noise is None else noise
    return y + drift + rng.normal(0.0, sigma, grid.size)


def subject_profile(technique, rng, spread=0.04):
    bands = PLASMA_IR_BANDS if technique == "QO" else PLASMA_RAMAN_BANDS
    return tuple(1.0 + rng.normal(0.0, spread, len(bands)))
