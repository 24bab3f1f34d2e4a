"""Creatinine clearance estimated by Cockcroft–Gault, with serum creatinine in µmol/L.

Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine. Nephron
1976;16:31-41: CrCl (mL/min) = (140 − age) × weight (kg) / (72 × creatinine in mg/dL), × 0.85 for
women. With creatinine in µmol/L (1 mg/dL = 88.4 µmol/L) the constant becomes 88.4 / 72 = 1.23
for men and 1.23 × 0.85 = 1.04 for women, the SI form most renal drug-dosing guides print:

    CrCl = (140 − age) × weight × (1.04 women, 1.23 men) / creatinine (µmol/L)

We use the SI form because the CRF collects creatinine in µmol/L: no conversion, no rounding
before the division.
"""

from decimal import ROUND_HALF_UP, Decimal

FEMALE_CONSTANT = Decimal("1.04")
MALE_CONSTANT = Decimal("1.23")
#: The clearance is reported and judged to 0.1 mL/min, the precision a clinician reads.
PRECISION = Decimal("0.1")


def cockcroft_gault(
    *, age_years: int, weight_kg: Decimal, creatinine_umol_l: Decimal, female: bool
) -> Decimal:
    """Return the Cockcroft–Gault creatinine clearance in mL/min, rounded half up to 0.1.

    Raise ValueError for an age outside 0–139 years or a weight or creatinine that is not positive:
    the formula gives no meaningful clearance for them.
    """
    if not 0 <= age_years < 140:
        raise ValueError(f"age {age_years} years is outside 0-139 years")
    if weight_kg <= 0:
        raise ValueError(f"weight {weight_kg} kg is not positive")
    if creatinine_umol_l <= 0:
        raise ValueError(f"creatinine {creatinine_umol_l} µmol/L is not positive")
    constant = FEMALE_CONSTANT if female else MALE_CONSTANT
    clearance = (140 - age_years) * Decimal(weight_kg) * constant / Decimal(creatinine_umol_l)
    return clearance.quantize(PRECISION, rounding=ROUND_HALF_UP)
