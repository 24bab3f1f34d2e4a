"""The demo trial's ICRG0201 visits are entered for real, through the visit form services."""

from io import StringIO

from django.core.management import call_command

from visits.crf.models import PATIENT_LISTS, VISIT_RECORDS, ListReview
from visits.crf.selectors import lab_rows
from visits.models import Visit


def test_completed_icrg0201_demo_visits_have_every_required_form_behind_them(db):
    call_command("seed_demo", stdout=StringIO())
    icrg = Visit.objects.filter(patient__site__study__code="ICRG0201")
    completed = list(icrg.filter(status=Visit.Status.COMPLETED)
                     .exclude(status_reason="Done as the eligibility screening"))
    assert len(completed) >= 20
    records = {code: set(model.objects.active().values_list("visit_id", flat=True))
               for code, model in VISIT_RECORDS.items()}
    for code, model in PATIENT_LISTS.items():
        records[code] = (set(model.objects.active().values_list("visit_id", flat=True))
                         | set(ListReview.objects.active().filter(form_code=code)
                               .values_list("visit_id", flat=True)))
    # Tumour assessments are the outcomes app's form (RECIST), entered by its demo.
    from outcomes.models import FORM_CODE, TumourAssessment

    records[FORM_CODE] = set(TumourAssessment.objects.active()
                             .values_list("visit_id", flat=True))
    for visit in completed:
        assert visit.actual_date is not None, visit
        for code in visit.required_forms:
            assert visit.pk in records[code], (visit, code)
    # Some visits are reported missed and some left for data entry (overdue).
    assert icrg.filter(status=Visit.Status.MISSED).exists()
    assert icrg.filter(overdue_since__isnull=False).exists()
    # Lab values are plausible: nothing graded 3 or more without its adverse event.
    haematology = VISIT_RECORDS["haematology"].objects.all()
    assert all(not row.ae_term for record in haematology for row in lab_rows(record))
    # Status follows the data: nobody with a recorded dose is still "enrolled", and the move
    # on treatment of the ICRG0201 patients was made by the system from the first dose.
    from enrollment.models import Patient
    from trialsite.services import system_user
    from visits.crf.domain.exposure import records_a_dose

    dosed = {record.visit.patient_id for record in VISIT_RECORDS["drug_exposure"].objects
             .active().select_related("visit")
             if records_a_dose(record.dose_level, record.days_taken)}
    assert dosed
    assert not Patient.objects.filter(pk__in=dosed, status="enrolled").exists()
    moves = Patient.history.filter(id__in=dosed, status="on_treatment")
    assert {row.history_user_id for row in moves
            if (row.history_change_reason or "").startswith("First dose recorded")} == {
        system_user().pk}
    # PALMARES-2 visits stay without data.
    palmares = Visit.objects.filter(patient__site__study__code="PALMARES-2")
    assert not palmares.exclude(entered_forms=[]).exists()
