"""Edit checks as pure rules: thresholds and boundaries, no database."""

from datetime import date
from decimal import Decimal

from trialsite.monitoring.domain import editchecks as ec
from trialsite.monitoring.domain import metrics
from trialsite.protocols import get_protocol
from trialsite.protocols.edit_checks import LabRangeCheck, VisitWindowCheck, WeightChangeCheck

KEY = ec.RecordKey("visits.VitalSigns", 1)


def weight(day, kg, code, pk=1):
    return ec.WeightFact("S", 7, ec.RecordKey("visits.VitalSigns", pk), code, day, Decimal(kg))


def test_both_studies_declare_the_three_edit_checks():
    for code in ("ICRG0201", "PALMARES-2"):
        kinds = {type(c) for c in get_protocol(code).edit_checks}
        assert kinds == {WeightChangeCheck, VisitWindowCheck, LabRangeCheck}


def test_weight_change_of_exactly_ten_percent_passes_and_just_over_trips():
    check = WeightChangeCheck()
    facts = [weight(date(2026, 1, 1), "70.0", "BL", 1), weight(date(2026, 2, 1), "77.0", "M1", 2)]
    assert ec.weight_findings(check, facts) == []  # +10.0 % is not over 10 %
    facts[1] = weight(date(2026, 2, 1), "77.1", "M1", 2)
    [finding] = ec.weight_findings(check, facts)
    assert finding.record.pk == 2 and finding.field == "weight_kg" and "+10.1 %" in finding.message


def test_weight_is_compared_with_the_previous_visit_in_date_order_not_baseline():
    check = WeightChangeCheck()
    facts = [weight(date(2026, 3, 1), "60", "M2", 3), weight(date(2026, 1, 1), "70", "BL", 1),
             weight(date(2026, 2, 1), "64", "M1", 2)]
    # 70 → 64 is −8.6 %, 64 → 60 is −6.3 %: neither step trips, though BL → M2 is −14 %.
    assert ec.weight_findings(check, facts) == []


def test_visit_window_boundaries_are_inside():
    check = VisitWindowCheck()
    fact = ec.VisitDateFact("S", 7, KEY, "actual_date", "M1", date(2026, 3, 5),
                            date(2026, 2, 23), date(2026, 3, 5))
    assert ec.visit_window_findings(check, [fact]) == []
    late = ec.VisitDateFact("S", 7, KEY, "actual_date", "M1", date(2026, 3, 7),
                            date(2026, 2, 23), date(2026, 3, 5))
    [finding] = ec.visit_window_findings(check, [late])
    assert "2 day(s) after" in finding.message


def test_lab_value_five_times_uln_passes_and_above_trips_and_below_lln_over_five_trips():
    check = LabRangeCheck()

    def lab(value, lln, uln):
        return ec.LabFact("S", 7, KEY, "chemistry", "alt", "ALT", "U/L", Decimal(value),
                          Decimal(lln) if lln else None, Decimal(uln) if uln else None)

    assert ec.lab_findings(check, [lab("200", None, "40")]) == []
    assert len(ec.lab_findings(check, [lab("200.1", None, "40")])) == 1
    assert ec.lab_findings(check, [lab("0.4", "2", "10")]) == []
    assert len(ec.lab_findings(check, [lab("0.39", "2", "10")])) == 1


def test_evaluate_applies_each_studys_checks_to_its_own_facts_only():
    facts = [weight(date(2026, 1, 1), "70", "BL", 1), weight(date(2026, 2, 1), "90", "M1", 2)]
    assert ec.evaluate({"OTHER": (WeightChangeCheck(),)}, facts) == []
    assert len(ec.evaluate({"S": (WeightChangeCheck(),)}, facts)) == 1


def test_cumulative_enrolment_and_query_age_buckets():
    days = [date(2026, 1, 3), date(2026, 1, 1), date(2026, 1, 3)]
    assert metrics.cumulative(days) == [(date(2026, 1, 1), 1), (date(2026, 1, 3), 3)]
    assert metrics.ages_by_bucket([0, 7, 8, 30, 31, 90, 91]) == {
        "0–7 days": 2, "8–30 days": 2, "31–90 days": 2, "over 90 days": 1}
    assert metrics.percent(1, 3) == 33 and metrics.percent(0, 0) == 0
