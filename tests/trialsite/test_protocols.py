from dataclasses import replace
from decimal import Decimal

from django.core import checks

from trialsite.checks import check_protocols, protocol_errors
from trialsite.protocols import get_protocol
from trialsite.protocols.base import Sex


def test_declared_protocols_pass_the_system_check(db):
    assert check_protocols() == []
    ours = ("trialsite.", "eligibility.", "visits.")
    assert [m for m in checks.run_checks() if m.id.startswith(ours)] == []


def test_icrg0201_reads_the_registry_text():
    protocol = get_protocol("ICRG0201")
    assert protocol.registry_id == "NCT05190094"
    assert protocol.target_enrolment == 80
    assert protocol.sexes == {Sex.FEMALE}
    assert protocol.min_age_years == 18
    assert protocol.drug("PALBOCICLIB").dose_levels_mg == (Decimal(125), Decimal(100), Decimal(75))
    assert protocol.drug("LETROZOLE").starting_dose_mg == Decimal("2.5")
    assert protocol.drug("ANASTROZOLE").starting_dose_mg == Decimal("1")
    assert len(protocol.sites) == 7
    assert sorted({s.country for s in protocol.sites}) == ["Algeria", "Jordan", "Saudi Arabia"]
    assert sum(1 for s in protocol.sites if s.city == "Riyadh") == 4


def test_palmares2_takes_men_and_three_cdk46_inhibitors():
    protocol = get_protocol("PALMARES-2")
    assert protocol.registry_id == "NCT06805812"
    assert protocol.sexes == {Sex.FEMALE, Sex.MALE}
    assert protocol.target_enrolment == 3500
    assert len(protocol.sites) == 24
    assert {d.code for d in protocol.drugs_of_class("CDK4/6 inhibitor")} == {
        "PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB"
    }


def test_check_reports_a_malformed_protocol():
    good = get_protocol("ICRG0201")
    palbo = good.drug("PALBOCICLIB")
    bad = replace(
        good,
        registry_id="NCT123",
        max_age_years=10,
        drugs=(replace(palbo, dose_levels_mg=(Decimal(75), Decimal(125))), palbo),
        sites=(replace(good.sites[0], time_zone="Mars/Olympus"), good.sites[0]),
    )
    errors = "\n".join(protocol_errors(bad))
    assert "registry id 'NCT123'" in errors
    assert "maximum age is below the minimum age" in errors
    assert "drug codes are not unique" in errors
    assert "PALBOCICLIB dose levels must be distinct, highest first" in errors
    assert "site codes are not unique" in errors
    assert "unknown time zone 'Mars/Olympus'" in errors


def test_both_protocols_declare_criteria_schedule_and_enrolment():
    for code in ("ICRG0201", "PALMARES-2"):
        protocol = get_protocol(code)
        assert protocol.criteria and protocol.eligibility_variables
        assert protocol.schedule is not None and protocol.enrolment is not None
    icrg = get_protocol("ICRG0201")
    codes = {c.code for c in icrg.criteria}
    assert {f"INC{n:02d}" for n in range(1, 16)} <= codes
    assert {f"EXC{n:02d}" for n in range(1, 19)} <= codes
    assert "AGE" in codes


def test_icrg0201_statistics_plan_is_the_registry_texts():
    from trialsite.protocols import get_protocol
    from trialsite.protocols.base import MedianCiMethod, PfsDefinition, Sidedness

    plan = get_protocol("ICRG0201").statistics
    # "All tests of hypotheses: one-sided. Confidence intervals of the median survival:
    # method of Simon." and "The Intent-to-Treat (ITT): all patients enrolled in the study."
    assert plan.tests is Sidedness.ONE_SIDED
    assert plan.median_ci is MedianCiMethod.SIMON_LEE
    assert plan.population_from_protocol and "all patients enrolled" in plan.population_definition
    assert plan.pfs is PfsDefinition.RECIST


def test_palmares2_keeps_its_own_plan_and_names_its_assumptions():
    from trialsite.protocols import get_protocol
    from trialsite.protocols.base import PfsDefinition, Sidedness

    plan = get_protocol("PALMARES-2").statistics
    assert plan.tests is Sidedness.TWO_SIDED
    assert plan.pfs is PfsDefinition.REAL_WORLD_FIRST_LINE
    assert plan.pfs_name.startswith("Real-world progression-free survival of line 1")
    assert not plan.population_from_protocol
    assert len(plan.assumptions) >= 3
