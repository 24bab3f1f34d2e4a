"""Visit form services: saving, visit status, corrections, conflicts and the rules they enforce."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import enrol
from trialsite.audit import StaleVersion
from trialsite.models import Role
from visits import services as visit_services
from visits.crf import selectors as crf_selectors
from visits.crf import services as crf_services
from visits.crf.models import (
    AdverseEvent,
    ConcomitantMedication,
    DrugExposure,
    Haematology,
    ListReview,
    PerformanceStatus,
    VitalSigns,
)
from visits.models import Visit

# The world's ICRG0201 patient consents on 2026-01-10; the example screening puts day 1 (BL) on
# 2026-01-29, so BL's window is 2026-01-29..2026-02-01 and M1's 2026-02-23..2026-03-05.
BL_DAY = date(2026, 1, 30)
M1_DAY = date(2026, 2, 27)

PERFORMANCE_STATUS = {"visit_date": BL_DAY, "who_ps": 1}
VITAL_SIGNS = {
    "weight_kg": Decimal("68.5"), "height_cm": Decimal("164"), "systolic_mmhg": 128,
    "diastolic_mmhg": 82, "heart_rate_per_min": 76, "temperature_c": Decimal("36.8"),
}
HAEMATOLOGY = {
    "sample_date": BL_DAY,
    "neutrophils": Decimal("3.2"), "neutrophils_lln": Decimal("1.8"),
    "neutrophils_uln": Decimal("7.5"),
    "leucocytes": Decimal("6.1"), "leucocytes_lln": Decimal("4.0"),
    "leucocytes_uln": Decimal("10.0"),
    "platelets": Decimal("250"), "platelets_lln": Decimal("150"),
    "platelets_uln": Decimal("400"),
    "haemoglobin": Decimal("12.5"), "haemoglobin_lln": Decimal("12.0"),
    "haemoglobin_uln": Decimal("16.0"), "haemoglobin_unit": "g/dL",
    "lymphocytes": Decimal("1.9"), "lymphocytes_lln": Decimal("1.0"),
    "lymphocytes_uln": Decimal("4.0"),
}
CHEMISTRY = {
    "sample_date": BL_DAY,
    "bilirubin": Decimal("10"), "bilirubin_lln": None, "bilirubin_uln": Decimal("17"),
    "ast": Decimal("25"), "ast_lln": None, "ast_uln": Decimal("40"),
    "alt": Decimal("30"), "alt_lln": None, "alt_uln": Decimal("40"),
    "alp": Decimal("90"), "alp_lln": Decimal("40"), "alp_uln": Decimal("120"),
    "creatinine": Decimal("70"), "creatinine_lln": Decimal("45"),
    "creatinine_uln": Decimal("90"),
    "calcium": Decimal("2.35"), "calcium_lln": Decimal("2.15"), "calcium_uln": Decimal("2.55"),
}
DRUG_EXPOSURE = {
    "dose_level": "125", "cycle_start_date": date(2026, 1, 29), "days_taken": 1,
    "interrupted": False, "interruption_reason": "", "reduced": False, "reduction_reason": "",
    "endocrine_adherence": "as_prescribed",
}
ADVERSE_EVENT = {
    "term": "Neutrophil count decreased", "grade": 3, "start_date": date(2026, 2, 20),
    "end_date": None, "serious": False, "relation_cdk46i": "probable",
    "relation_endocrine": "unlikely", "action_taken": "interrupted", "outcome": "recovering",
}
MEDICATION = {
    "name": "Paracetamol", "indication": "Back pain", "start_date": date(2026, 2, 1),
    "stop_date": None, "ongoing": True,
}

SAVE = {
    "performance_status": (crf_services.performance_status_save, PERFORMANCE_STATUS),
    "vital_signs": (crf_services.vital_signs_save, VITAL_SIGNS),
    "haematology": (crf_services.haematology_save, HAEMATOLOGY),
    "chemistry": (crf_services.chemistry_save, CHEMISTRY),
    "drug_exposure": (crf_services.drug_exposure_save, DRUG_EXPOSURE),
}


def enrolled_patient(world):
    """The world's ICRG0201 patient at site A1, enrolled, with its visit schedule."""
    coordinator = world.users[Role.COORDINATOR]
    patient = enrol(world.patient_a1, coordinator=coordinator)
    if not Visit.objects.filter(patient=patient).exists():
        visit_services.schedule_create(actor=coordinator, enrolment=patient.enrolment,
                                       today=timezone.localdate())
    return patient


def visit_of(patient, code):
    return Visit.objects.select_related("patient__site__study", "patient__enrolment").get(
        patient=patient, code=code)


def save(form_code, actor, visit, **changes):
    service, values = SAVE[form_code]
    return service(actor=actor, visit=visit, values={**values, **changes})


def error_fields(excinfo):
    return set(excinfo.value.message_dict)


@pytest.fixture
def patient(world):
    return enrolled_patient(world)


@pytest.fixture
def bl(patient):
    return visit_of(patient, "BL")


@pytest.fixture
def m1(patient):
    return visit_of(patient, "M1")


def test_each_baseline_form_saves_and_the_visit_goes_incomplete_then_completed(
        world, coordinator, patient):
    assert visit_of(patient, "BL").status == Visit.Status.PLANNED
    codes = ["performance_status", "vital_signs", "haematology", "chemistry", "drug_exposure"]
    for index, code in enumerate(codes):
        record = save(code, coordinator, visit_of(patient, "BL"))
        assert record.pk and record.version == 1
        visit = visit_of(patient, "BL")
        assert code in visit.entered_forms
        expected = (Visit.Status.COMPLETED if index == len(codes) - 1
                    else Visit.Status.INCOMPLETE)
        assert visit.status == expected, code
    assert visit.actual_date == BL_DAY
    assert visit.missing_forms == []


def test_list_forms_count_as_entered_through_an_entry_or_nothing_new(world, coordinator, m1):
    ae = crf_services.adverse_event_create(actor=coordinator, visit=m1, values=ADVERSE_EVENT)
    assert ae.visit.entered_forms == ["adverse_events"]
    assert ae.visit.status == Visit.Status.INCOMPLETE
    review = crf_services.list_review_create(actor=coordinator, visit=visit_of(m1.patient, "M1"),
                                             form_code="concomitant_medications")
    assert review.visit.entered_forms == ["adverse_events", "concomitant_medications"]
    crf_services.adverse_event_void(actor=coordinator, adverse_event=ae,
                                    reason="Entered for the wrong patient")
    assert visit_of(m1.patient, "M1").entered_forms == ["concomitant_medications"]


def test_all_required_forms_of_m1_complete_it(world, coordinator, m1):
    patient = m1.patient
    for code in SAVE:
        values = {"visit_date": M1_DAY} if code == "performance_status" else {}
        if code in ("haematology", "chemistry"):
            values = {"sample_date": M1_DAY}
        if code == "drug_exposure":
            values = {"cycle_start_date": date(2026, 2, 26)}
        save(code, coordinator, visit_of(patient, "M1"), **values)
    assert visit_of(patient, "M1").status == Visit.Status.INCOMPLETE
    crf_services.adverse_event_create(actor=coordinator, visit=visit_of(patient, "M1"),
                                      values=ADVERSE_EVENT)
    crf_services.concomitant_medication_create(actor=coordinator,
                                               visit=visit_of(patient, "M1"), values=MEDICATION)
    visit = visit_of(patient, "M1")
    assert visit.status == Visit.Status.COMPLETED and visit.actual_date == M1_DAY


def test_a_correction_needs_a_reason_and_is_audited_with_user_and_reason(
        world, coordinator, bl):
    record = save("vital_signs", coordinator, bl)
    with pytest.raises(ValidationError) as excinfo:
        save("vital_signs", coordinator, bl, weight_kg=Decimal("70"))
    assert error_fields(excinfo) == {"reason"}
    corrected = crf_services.vital_signs_save(
        actor=coordinator, visit=bl, values={**VITAL_SIGNS, "weight_kg": Decimal("70")},
        expected_version=record.version, reason="Transcription error",
    )
    assert corrected.version == 2 and corrected.weight_kg == Decimal("70")
    latest = VitalSigns.history.filter(id=record.pk).order_by("-history_id").first()
    assert latest.history_user == coordinator
    assert latest.history_change_reason == "Transcription error"
    entries = crf_selectors.record_history(corrected, bl.patient)
    assert [c.field for c in entries[0].changes] == ["weight_kg"]


def test_saving_unchanged_values_makes_no_new_version(world, coordinator, bl):
    record = save("performance_status", coordinator, bl)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        crf_services.performance_status_save(actor=coordinator, visit=bl,
                                             values=PERFORMANCE_STATUS,
                                             expected_version=1, reason="Check")
    assert PerformanceStatus.objects.get(pk=record.pk).version == 1


def test_a_stale_version_is_refused_with_the_changes_since(world, coordinator, bl):
    investigator = world.users[Role.INVESTIGATOR]
    save("performance_status", coordinator, bl)
    crf_services.performance_status_save(
        actor=investigator, visit=bl, values={**PERFORMANCE_STATUS, "who_ps": 2},
        expected_version=1, reason="Investigator's assessment",
    )
    with pytest.raises(StaleVersion) as excinfo:
        crf_services.performance_status_save(
            actor=coordinator, visit=bl, values={**PERFORMANCE_STATUS, "who_ps": 0},
            expected_version=1, reason="My correction",
        )
    assert [e.reason for e in excinfo.value.changes] == ["Investigator's assessment"]
    assert PerformanceStatus.objects.get(visit=bl).who_ps == 2


def test_entering_a_form_someone_entered_meanwhile_is_a_conflict(world, coordinator, bl):
    save("performance_status", world.users[Role.INVESTIGATOR], bl)
    with pytest.raises(StaleVersion):
        crf_services.performance_status_save(actor=coordinator, visit=bl,
                                             values=PERFORMANCE_STATUS, expected_version=0)


def test_two_forms_of_one_visit_saved_from_stale_visit_copies_both_count(
        world, coordinator, patient):
    first, second = visit_of(patient, "BL"), visit_of(patient, "BL")
    save("performance_status", coordinator, first)
    save("vital_signs", coordinator, second)
    assert visit_of(patient, "BL").entered_forms == ["performance_status", "vital_signs"]


def test_diastolic_at_or_above_systolic_is_refused_at_the_field(world, coordinator, bl):
    with pytest.raises(ValidationError) as excinfo:
        save("vital_signs", coordinator, bl, systolic_mmhg=90, diastolic_mmhg=90)
    assert error_fields(excinfo) == {"diastolic_mmhg"}
    assert not VitalSigns.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("weight_kg", Decimal("19")), ("height_cm", Decimal("231")), ("systolic_mmhg", 261),
    ("diastolic_mmhg", 29), ("heart_rate_per_min", 221), ("temperature_c", Decimal("42.1")),
])
def test_vital_signs_out_of_range_are_refused_at_the_field(world, coordinator, bl, field, value):
    with pytest.raises(ValidationError) as excinfo:
        save("vital_signs", coordinator, bl, **{field: value})
    assert field in error_fields(excinfo)


def test_height_is_required_at_baseline_only(world, coordinator, patient):
    with pytest.raises(ValidationError) as excinfo:
        save("vital_signs", coordinator, visit_of(patient, "BL"), height_cm=None)
    assert error_fields(excinfo) == {"height_cm"}
    record = save("vital_signs", coordinator, visit_of(patient, "M1"), height_cm=None)
    assert record.height_cm is None


def test_dates_in_the_future_are_refused_at_the_field(world, coordinator, bl, m1):
    tomorrow = timezone.localdate() + timedelta(days=2)
    with pytest.raises(ValidationError) as excinfo:
        save("performance_status", coordinator, bl, visit_date=tomorrow)
    assert error_fields(excinfo) == {"visit_date"}
    with pytest.raises(ValidationError) as excinfo:
        crf_services.adverse_event_create(actor=coordinator, visit=m1,
                                          values={**ADVERSE_EVENT, "start_date": tomorrow})
    assert error_fields(excinfo) == {"start_date"}


def test_lab_range_needs_its_limit_and_ordered_limits(world, coordinator, bl):
    with pytest.raises(ValidationError) as excinfo:
        save("haematology", coordinator, bl, neutrophils_lln=None,
             platelets_lln=Decimal("400"), platelets_uln=Decimal("150"))
    assert error_fields(excinfo) == {"neutrophils_lln", "platelets_uln"}
    with pytest.raises(ValidationError) as excinfo:
        save("chemistry", coordinator, bl, alt_uln=None)
    assert error_fields(excinfo) == {"alt_uln"}


def test_a_lab_form_needs_at_least_one_value(world, coordinator, bl):
    empty = {name: None for name in HAEMATOLOGY if name not in ("sample_date",
                                                                 "haemoglobin_unit")}
    with pytest.raises(ValidationError, match="at least one laboratory value"):
        save("haematology", coordinator, bl, **empty)


def test_haematology_grades_follow_ctcae_and_ask_for_an_adverse_event(world, coordinator, bl):
    record = save("haematology", coordinator, bl, neutrophils=Decimal("0.7"),
                  platelets=Decimal("60"))
    rows = {row.analyte.name: row for row in crf_selectors.lab_rows(record)}
    assert rows["neutrophils"].grade.grade == 3
    assert rows["neutrophils"].prompt == (
        "Grade 3 neutrophil count decreased: record an adverse event")
    assert rows["neutrophils"].ae_term == "Neutrophil count decreased"
    assert rows["platelets"].grade.grade == 2 and rows["platelets"].prompt == ""
    assert rows["haemoglobin"].grade.grade == 0
    assert rows["lymphocytes"].grade.grade == 0


def test_low_site_lln_does_not_hide_a_neutropenia_grade_or_its_prompt(world, coordinator, bl):
    # Issue 13: ANC 0.9 with a site LLN of 0.8 is grade 3 (admiral: AVAL < 1.0), not grade 0.
    record = save("haematology", coordinator, bl, neutrophils=Decimal("0.9"),
                  neutrophils_lln=Decimal("0.8"))
    row = next(r for r in crf_selectors.lab_rows(record) if r.analyte.name == "neutrophils")
    assert row.grade.grade == 3
    assert row.prompt == "Grade 3 neutrophil count decreased: record an adverse event"


def test_lymphocytes_are_graded_and_prompt_from_grade_3(world, coordinator, bl):
    record = save("haematology", coordinator, bl, lymphocytes=Decimal("0.45"))
    row = next(r for r in crf_selectors.lab_rows(record) if r.analyte.name == "lymphocytes")
    assert row.grade.grade == 3 and row.ae_term == "Lymphocyte count decreased"


def test_anaemia_prompt_uses_the_ctcae_adverse_event_term(world, coordinator, bl):
    record = save("haematology", coordinator, bl, haemoglobin=Decimal("7.5"))
    row = next(r for r in crf_selectors.lab_rows(record) if r.analyte.name == "haemoglobin")
    assert row.grade.grade == 3 and row.ae_term == "Anemia"


def test_chemistry_grades_against_the_uln_or_an_abnormal_screening_baseline(
        world, coordinator, bl):
    record = save("chemistry", coordinator, bl, alt=Decimal("130"))
    baseline = crf_selectors.screening_baseline(bl.patient, record.ANALYTES)
    assert baseline == {"bilirubin": "10", "ast": "25", "alt": "30", "alp": "90",
                        "creatinine": "70"}
    rows = {r.analyte.name: r for r in crf_selectors.lab_rows(record, baseline)}
    assert rows["alt"].grade.grade == 2  # 130 U/L is 3.25 x ULN 40
    assert rows["alp"].grade.grade == 0 and rows["creatinine"].grade.grade == 0
    abnormal = {r.analyte.name: r for r in crf_selectors.lab_rows(record, {"alt": "80"})}
    assert abnormal["alt"].grade.grade == 1  # 1.625 x an abnormal baseline of 80


def test_creatinine_and_alkaline_phosphatase_are_graded_with_a_prompt_from_grade_3(
        world, coordinator, bl):
    # Screening baseline creatinine 70 µmol/L: 220 is > 3.0 x baseline (grade 3) though only
    # 2.4 x ULN 90; ALP 700 U/L is > 5.0 x ULN 120 (grade 3).
    record = save("chemistry", coordinator, bl, creatinine=Decimal("220"), alp=Decimal("700"))
    baseline = crf_selectors.screening_baseline(bl.patient, record.ANALYTES)
    rows = {r.analyte.name: r for r in crf_selectors.lab_rows(record, baseline)}
    assert rows["creatinine"].grade.grade == 3
    assert rows["creatinine"].prompt == "Grade 3 creatinine increased: record an adverse event"
    assert rows["alp"].grade.grade == 3
    assert rows["alp"].ae_term == "Alkaline phosphatase increased"


def test_dose_not_among_the_protocols_levels_is_refused(world, coordinator, bl):
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, bl, dose_level="150")
    assert error_fields(excinfo) == {"dose_level"}
    assert "125, 100, 75 mg, or discontinued" in excinfo.value.message_dict["dose_level"][0]


def test_a_reduction_goes_below_the_previous_records_level(world, coordinator, patient):
    save("drug_exposure", coordinator, visit_of(patient, "BL"))
    m1 = visit_of(patient, "M1")
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, m1, reduced=True, reduction_reason="Neutropenia")
    assert error_fields(excinfo) == {"dose_level"}
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, m1, dose_level="100")
    assert error_fields(excinfo) == {"reduced"}
    record = save("drug_exposure", coordinator, m1, dose_level="100", reduced=True,
                  reduction_reason="Grade 3 neutropenia")
    assert record.drug == "PALBOCICLIB" and record.dose_level == "100"
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, visit_of(patient, "M2"), dose_level="100",
             reduced=True, reduction_reason="Again")
    assert error_fields(excinfo) == {"dose_level"}
    stopped = save("drug_exposure", coordinator, visit_of(patient, "M2"),
                   dose_level="discontinued")
    assert stopped.dose_level == "discontinued"


def test_days_on_palbociclib_above_the_regimens_21_are_refused_at_the_field(
        world, coordinator, bl):
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, bl, days_taken=22)
    assert error_fields(excinfo) == {"days_taken"}
    assert "at most 21 days of each 28-day cycle" in excinfo.value.message_dict["days_taken"][0]
    assert save("drug_exposure", coordinator, bl, days_taken=21).days_taken == 21


def test_interruption_and_reduction_need_their_reason(world, coordinator, bl):
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, bl, interrupted=True)
    assert error_fields(excinfo) == {"interruption_reason"}


def test_ovarian_suppression_adherence_only_when_the_enrolment_has_it(world, coordinator, bl):
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, bl, ovarian_suppression_adherence="as_prescribed")
    assert error_fields(excinfo) == {"ovarian_suppression_adherence"}


def with_ovarian_suppression(patient):
    from trialsite.audit import record_update
    from trialsite.services import system_user

    record_update(patient.enrolment, actor=system_user(), expected_version=None,
                  reason="Pre-menopausal: LHRH analogue", changes={"ovarian_suppression": True})
    return patient


def test_ovarian_suppression_adherence_and_relation_when_the_enrolment_has_it(
        world, coordinator, patient):
    with_ovarian_suppression(patient)
    with pytest.raises(ValidationError) as excinfo:
        save("drug_exposure", coordinator, visit_of(patient, "BL"))
    assert error_fields(excinfo) == {"ovarian_suppression_adherence"}
    record = save("drug_exposure", coordinator, visit_of(patient, "BL"),
                  ovarian_suppression_adherence="missed_doses")
    assert record.ovarian_suppression_adherence == "missed_doses"
    with pytest.raises(ValidationError) as excinfo:
        crf_services.adverse_event_create(actor=coordinator, visit=visit_of(patient, "M1"),
                                          values=ADVERSE_EVENT)
    assert error_fields(excinfo) == {"relation_ovarian_suppression"}
    ae = crf_services.adverse_event_create(
        actor=coordinator, visit=visit_of(patient, "M1"),
        values={**ADVERSE_EVENT, "relation_ovarian_suppression": "not_related"})
    assert ae.relation_ovarian_suppression == "not_related"


def test_adverse_event_rules_are_refused_at_their_field(world, coordinator, m1):
    cases = [
        ({"end_date": date(2026, 2, 1), "outcome": "recovered"}, "end_date"),
        ({"grade": 5, "serious": True, "sae_death": True, "end_date": date(2026, 2, 21),
          "outcome": "recovered"}, "outcome"),
        ({"serious": True}, "serious"),
        ({"sae_hospitalisation": True}, "serious"),
        ({"outcome": "recovered"}, "end_date"),
        ({"end_date": date(2026, 2, 22)}, "end_date"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as excinfo:
            crf_services.adverse_event_create(actor=coordinator, visit=m1,
                                              values={**ADVERSE_EVENT, **changes})
        assert field in error_fields(excinfo), changes
    assert not AdverseEvent.objects.exists()


def test_a_fatal_serious_adverse_event_is_recorded(world, coordinator, m1):
    ae = crf_services.adverse_event_create(actor=coordinator, visit=m1, values={
        **ADVERSE_EVENT, "term": "Pneumonitis", "grade": 5, "serious": True, "sae_death": True,
        "sae_hospitalisation": True, "end_date": date(2026, 2, 25), "outcome": "fatal",
    })
    assert ae.serious and ae.criteria == ["Results in death",
                                          "Requires or prolongs hospitalisation"]


def test_adverse_event_correction_and_void_need_a_reason(world, coordinator, m1):
    ae = crf_services.adverse_event_create(actor=coordinator, visit=m1, values=ADVERSE_EVENT)
    with pytest.raises(ValidationError) as excinfo:
        crf_services.adverse_event_update(actor=coordinator, adverse_event=ae,
                                          values={**ADVERSE_EVENT, "grade": 4},
                                          expected_version=1, reason=" ")
    assert error_fields(excinfo) == {"reason"}
    ae = crf_services.adverse_event_update(actor=coordinator, adverse_event=ae,
                                           values={**ADVERSE_EVENT, "grade": 4},
                                           expected_version=1, reason="Nadir result received")
    assert ae.grade == 4 and ae.version == 2
    with pytest.raises(ValidationError):
        crf_services.adverse_event_void(actor=coordinator, adverse_event=ae, reason="")
    ae = crf_services.adverse_event_void(actor=coordinator, adverse_event=ae,
                                         reason="Duplicate entry", expected_version=2)
    assert ae.is_voided and ae.void_reason == "Duplicate entry"
    assert AdverseEvent.objects.filter(pk=ae.pk).exists()
    with pytest.raises(ValidationError, match="voided"):
        crf_services.adverse_event_update(actor=coordinator, adverse_event=ae,
                                          values=ADVERSE_EVENT, expected_version=3,
                                          reason="Undo")


def test_a_medication_has_a_stop_date_or_is_ongoing(world, coordinator, m1):
    for changes in ({"stop_date": date(2026, 2, 10)},
                    {"ongoing": False},
                    {"ongoing": False, "stop_date": date(2026, 1, 20)}):
        with pytest.raises(ValidationError) as excinfo:
            crf_services.concomitant_medication_create(actor=coordinator, visit=m1,
                                                       values={**MEDICATION, **changes})
        assert error_fields(excinfo) == {"stop_date"}, changes
    medication = crf_services.concomitant_medication_create(
        actor=coordinator, visit=m1,
        values={**MEDICATION, "ongoing": False, "stop_date": date(2026, 2, 10)})
    assert medication.stop_date == date(2026, 2, 10)
    updated = crf_services.concomitant_medication_update(
        actor=coordinator, medication=medication,
        values={**MEDICATION, "name": "Ibuprofen"}, expected_version=1, reason="Wrong drug")
    assert updated.name == "Ibuprofen" and updated.ongoing
    assert ConcomitantMedication.objects.get(pk=medication.pk).version == 2


def test_nothing_new_is_refused_when_entries_were_reported_or_already_recorded(
        world, coordinator, m1):
    crf_services.list_review_create(actor=coordinator, visit=m1,
                                    form_code="concomitant_medications")
    with pytest.raises(ValidationError, match="already recorded"):
        crf_services.list_review_create(actor=coordinator, visit=visit_of(m1.patient, "M1"),
                                        form_code="concomitant_medications")
    crf_services.adverse_event_create(actor=coordinator, visit=visit_of(m1.patient, "M1"),
                                      values=ADVERSE_EVENT)
    with pytest.raises(ValidationError, match="were reported"):
        crf_services.list_review_create(actor=coordinator, visit=visit_of(m1.patient, "M1"),
                                        form_code="adverse_events")
    assert ListReview.objects.count() == 1


@pytest.mark.parametrize("role", [Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR])
def test_readers_cannot_write(world, coordinator, role, bl, m1):
    reader = world.users[role]
    with pytest.raises(PermissionDenied):
        save("performance_status", reader, bl)
    with pytest.raises(PermissionDenied):
        crf_services.adverse_event_create(actor=reader, visit=m1, values=ADVERSE_EVENT)
    ae = crf_services.adverse_event_create(actor=coordinator, visit=visit_of(m1.patient, "M1"),
                                           values=ADVERSE_EVENT)
    with pytest.raises(PermissionDenied):
        crf_services.adverse_event_void(actor=reader, adverse_event=ae, reason="x")
    with pytest.raises(PermissionDenied):
        crf_services.list_review_create(actor=reader, visit=m1,
                                        form_code="concomitant_medications")


def test_a_missed_visit_takes_no_forms(world, coordinator, m1):
    visit = visit_services.visit_record_missed(actor=coordinator, visit=m1,
                                               reason="Patient hospitalised elsewhere")
    with pytest.raises(ValidationError, match="reported missed"):
        save("performance_status", coordinator, visit)
    assert not PerformanceStatus.objects.exists()


def test_a_form_the_visit_does_not_collect_is_refused(world, coordinator, patient):
    with pytest.raises(ValidationError, match="does not collect"):
        save("drug_exposure", coordinator, visit_of(patient, "SCR"))
    assert not DrugExposure.objects.exists()


def test_haemoglobin_is_stored_in_g_per_dl(world, coordinator, bl):
    record = save("haematology", coordinator, bl)
    assert Haematology.objects.get(pk=record.pk).haemoglobin == Decimal("12.50")
