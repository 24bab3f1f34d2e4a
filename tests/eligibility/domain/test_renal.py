"""Cockcroft–Gault against hand-computed examples (SI form, creatinine in µmol/L)."""

from decimal import Decimal

import pytest

from eligibility.domain.renal import cockcroft_gault


def test_woman_hand_computed():
    # (140 − 60) × 70 × 1.04 / 100 = 58.24 → 58.2 mL/min.
    clearance = cockcroft_gault(
        age_years=60, weight_kg=Decimal(70), creatinine_umol_l=Decimal(100), female=True
    )
    assert clearance == Decimal("58.2")


def test_man_hand_computed():
    # (140 − 60) × 70 × 1.23 / 100 = 68.88 → 68.9 mL/min.
    clearance = cockcroft_gault(
        age_years=60, weight_kg=Decimal(70), creatinine_umol_l=Decimal(100), female=False
    )
    assert clearance == Decimal("68.9")


def test_matches_the_original_mg_dl_formula_within_rounding():
    # Original: (140 − 70) × 60 / (72 × 1.0 mg/dL) × 0.85 = 49.58 mL/min, with 1.0 mg/dL =
    # 88.4 µmol/L. SI form: 70 × 60 × 1.04 / 88.4 = 49.41 → 49.4; the constant 1.04 rounds
    # 1.0436, a 0.35 % difference.
    clearance = cockcroft_gault(
        age_years=70, weight_kg=Decimal(60), creatinine_umol_l=Decimal("88.4"), female=True
    )
    assert clearance == Decimal("49.4")
    assert abs(clearance - Decimal("49.58")) / Decimal("49.58") < Decimal("0.005")


def test_rounds_half_up_to_one_decimal():
    # (140 − 40) × 77 × 1.04 / 160 = 50.05 exactly → 50.1, not the banker's 50.0.
    clearance = cockcroft_gault(
        age_years=40, weight_kg=Decimal(77), creatinine_umol_l=Decimal(160), female=True
    )
    assert clearance == Decimal("50.1")


def test_meaningless_inputs_raise():
    for age, weight, creatinine in (
        (140, Decimal(70), Decimal(100)),
        (-1, Decimal(70), Decimal(100)),
        (60, Decimal(0), Decimal(100)),
        (60, Decimal(70), Decimal(0)),
    ):
        with pytest.raises(ValueError):
            cockcroft_gault(
                age_years=age, weight_kg=weight, creatinine_umol_l=creatinine, female=True
            )
