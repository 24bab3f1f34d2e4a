"""Reading raw strings (CSV cells, form input) into typed values, with one error per bad value."""

from datetime import date
from decimal import Decimal

import pytest

from eligibility.domain.variables import (
    InvalidValue,
    accepted_units,
    convert,
    parse_value,
    parse_values,
    unknown_columns,
)
from trialsite.protocols import icrg0201_eligibility, palmares2_eligibility

VARIABLES = {v.name: v for v in icrg0201_eligibility.VARIABLES}


def parse(name, raw, unit=None):
    return parse_value(VARIABLES[name], raw, unit)


def error_of(name, raw, unit=None):
    with pytest.raises(InvalidValue) as caught:
        parse(name, raw, unit)
    assert caught.value.variable == name
    return str(caught.value)


# --- decimals and integers --------------------------------------------------------------------


def test_decimal_is_read_exactly_as_written():
    value = parse("neutrophils_g_l", " 1.50 ")
    assert value == Decimal("1.5")
    assert isinstance(value, Decimal)


def test_blank_is_none():
    assert parse("neutrophils_g_l", "") is None
    assert parse("neutrophils_g_l", "   ") is None
    assert parse("neutrophils_g_l", None) is None


def test_unparseable_number_is_an_error():
    assert error_of("neutrophils_g_l", "abc") == "neutrophils_g_l: 'abc' is not a number"


def test_decimal_comma_is_refused_with_a_hint():
    assert error_of("hemoglobin_g_dl", "9,5") == (
        "hemoglobin_g_dl: '9,5' is not a number (use a point as the decimal separator)"
    )


def test_special_and_malformed_numbers_are_refused():
    for raw in ("NaN", "Infinity", "1e3", "1.2.3", "--1"):
        assert error_of("platelets_g_l", raw) == f"platelets_g_l: {raw!r} is not a number"


def test_value_above_maximum_is_an_error():
    assert error_of("er_percent", "100.1") == "er_percent: 100.1 % is above the maximum 100 %"


def test_value_below_minimum_is_an_error():
    assert error_of("weight_kg", "19.9") == "weight_kg: 19.9 kg is below the minimum 20 kg"


def test_range_limits_are_inclusive():
    assert parse("er_percent", "100") == Decimal(100)
    assert parse("er_percent", "0") == Decimal(0)


def test_performance_status_is_a_whole_number_from_0_to_4():
    assert parse("who_ps", "4") == 4
    assert error_of("who_ps", "5") == "who_ps: 5 is above the maximum 4"
    assert error_of("who_ps", "1.5") == "who_ps: '1.5' is not a whole number"


# --- codes ------------------------------------------------------------------------------------


def test_unknown_code_is_an_error_listing_the_allowed_codes():
    assert error_of("menopausal_status", "MENOPAUSE") == (
        "menopausal_status: unknown code 'MENOPAUSE' (expected one of POST, PRE, PERI)"
    )


def test_codes_are_matched_without_case_and_returned_as_declared():
    assert parse("menopausal_status", "post") == "POST"
    assert parse("sex", " f ") == "F"


def test_declared_code_lists():
    codes = {name: v.codes for name, v in VARIABLES.items() if v.codes}
    assert codes["sex"] == ("F", "M")
    assert codes["ovarian_suppression"] == ("NONE", "OOPHORECTOMY", "LHRH")
    assert codes["her2_ihc"] == ("0", "1+", "2+", "3+")
    assert codes["her2_ish"] == ("NEGATIVE", "POSITIVE", "NOT_DONE")
    assert codes["stage"] == ("I", "II", "IIIA", "IIIB", "IIIC", "IV")
    assert codes["disease_setting"] == ("DE_NOVO", "RELAPSE")
    assert codes["hcv"] == ("NEGATIVE", "POSITIVE", "NOT_DONE")
    assert codes["unwilling_to_comply"] == ("Y", "N")


def test_palmares2_declares_its_treatment_variables():
    palmares = {v.name: v for v in palmares2_eligibility.VARIABLES}
    assert palmares["cdk46i"].codes == ("PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB", "NONE")
    assert palmares["cdk46i_with_endocrine"].codes == ("Y", "N")
    assert palmares["data_cutoff_date"].type == "date"


# --- dates ------------------------------------------------------------------------------------


def test_iso_date_is_read():
    assert parse("lab_date", "2024-03-10") == date(2024, 3, 10)


def test_impossible_calendar_date_is_an_error():
    assert error_of("lab_date", "2024-02-30") == (
        "lab_date: '2024-02-30' is not a valid calendar date"
    )


def test_non_iso_date_is_an_error():
    for raw in ("10/03/2024", "2024-3-10", "20240310", "2024-03-10T08:00"):
        assert error_of("lab_date", raw) == (
            f"lab_date: {raw!r} is not a date (expected YYYY-MM-DD)"
        )


# --- a whole row ------------------------------------------------------------------------------


def test_parse_values_keeps_good_cells_and_reports_each_bad_one():
    parsed = parse_values(icrg0201_eligibility.VARIABLES, {
        "sex": "F", "who_ps": "x", "stage": "V", "er_percent": "", "lab_date": "2024-03-10",
    })
    assert parsed.values == {"sex": "F", "lab_date": date(2024, 3, 10)}
    assert parsed.messages == (
        "who_ps: 'x' is not a whole number",
        "stage: unknown code 'V' (expected one of I, II, IIIA, IIIB, IIIC, IV)",
    )


def test_unknown_columns_are_named():
    header = ["candidate_id", "neutrofils", "sex", "notes"]
    assert unknown_columns(icrg0201_eligibility.VARIABLES, header) == ("neutrofils", "notes")


# --- units ------------------------------------------------------------------------------------


def test_creatinine_mg_dl_converts_to_umol_l():
    # 1.2 mg/dL × 88.42 = 106.104 µmol/L.
    assert parse("creatinine", "1.2", unit="mg/dL") == Decimal("106.104")
    assert parse("creatinine_uln", "1.1", unit="mg/dL") == Decimal("97.262")


def test_haemoglobin_g_l_converts_to_g_dl():
    assert parse("hemoglobin_g_dl", "95", unit="g/L") == Decimal("9.5")


def test_haemoglobin_mmol_l_converts_to_g_dl():
    # 6 mmol/L × 1.611 = 9.666 g/dL.
    assert parse("hemoglobin_g_dl", "6", unit="mmol/L") == Decimal("9.666")


def test_range_is_checked_after_conversion():
    assert error_of("hemoglobin_g_dl", "300", unit="g/L") == (
        "hemoglobin_g_dl: 30.0 g/dL is above the maximum 25 g/dL"
    )


def test_unsupported_unit_is_an_error():
    assert error_of("neutrophils_g_l", "1500", unit="/µL") == (
        "neutrophils_g_l: no conversion of this value from /µL to G/L"
    )


def test_accepted_units_list_the_canonical_unit_first():
    assert accepted_units(VARIABLES["creatinine"]) == ("µmol/L", "mg/dL")
    assert accepted_units(VARIABLES["hemoglobin_g_dl"]) == ("g/dL", "g/L", "mmol/L")
    assert accepted_units(VARIABLES["neutrophils_g_l"]) == ("G/L",)
    assert accepted_units(VARIABLES["sex"]) == ()


def test_convert_same_unit_is_identity_and_other_analytes_are_refused():
    assert convert(Decimal("70"), "creatinine", "µmol/L", "µmol/L") == Decimal("70")
    with pytest.raises(ValueError):
        convert(Decimal("2"), "calcium", "mmol/L", "g/dL")
