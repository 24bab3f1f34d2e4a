"""Save a checked import: every subject's records in one transaction, each with its history
row (``bulk_create_audited``) naming the importing user and the file the record came from."""

from __future__ import annotations

from django.db import transaction

from eligibility.models import Screening
from enrollment.domain.lifecycle import PatientStatus
from enrollment.models import Enrolment, Patient
from outcomes.realworld.importer.files import SCHEMAS, SCREENING, SUBJECTS
from trialsite.audit import bulk_create_audited
from trialsite.models import Site
from visits.crf.models import VISIT_RECORDS
from visits.models import Visit


def persist(*, actor, study, sources, subjects, today, progress=None, schemas=SCHEMAS):
    """Write every checked subject's records in one transaction; returns the counts."""
    progress = progress or (lambda fraction, stage: None)
    reason = {name: source.reason for name, source in sources.items()}
    subjects = sorted(subjects.values(), key=lambda s: (s.site.code, s.number))
    record_files = [schema for schema in schemas if schema.model is not None]
    counts = {}

    def create(model, objs, file):
        bulk_create_audited(model, objs, actor=actor, reason=reason[file], batch_size=1000)
        counts[model._meta.model_name] = counts.get(model._meta.model_name, 0) + len(objs)

    with transaction.atomic():
        # Lock the study's sites as patient_register does, so a registration at the same
        # time cannot take one of these subject numbers.
        list(Site.objects.select_for_update().filter(study=study).values_list("pk"))
        patients = []
        for s in subjects:
            patient = Patient(site=s.site, subject_number=s.number, subject_id=s.subject_id,
                              sex=s.sex, birth_date=s.birth_date, consent_date=s.consent_date,
                              consent_version=s.consent_version, status=PatientStatus.ENROLLED)
            if s.death:
                patient.death_date, patient.death_cause = s.death
                patient.status = PatientStatus.OFF_STUDY
            patients.append(patient)
        create(Patient, patients, SUBJECTS)
        by_id = {p.subject_id: p for p in patients}
        progress(0.15, "patients")
        screenings = []
        for s in subjects:
            s.screening.patient = by_id[s.subject_id]
            screenings.append(s.screening)
        create(Screening, screenings, SCREENING)
        create(Enrolment, [Enrolment(patient=by_id[s.subject_id], day1=s.day1, cdk46i=s.cdk46i,
                                     cdk46i_start_dose_mg=s.dose, endocrine=s.endocrine,
                                     ovarian_suppression=s.ovarian_suppression)
                           for s in subjects], SUBJECTS)
        progress(0.3, "screenings and enrolments")
        visits = []
        for s in subjects:
            patient = by_id[s.subject_id]
            for schema in record_files:
                form_code = getattr(schema.model, "FORM_CODE", "")
                for row in s.rows(schema.name) if form_code else ():
                    visit = row.record.visit
                    _enter(visit, form_code, _visit_date(visit, row.record))
            death = s.death[0] if s.death else None
            for visit in s.visits:
                visit.patient = patient
                if (death and visit.status == Visit.Status.PLANNED
                        and visit.target_date > death):
                    visit.status = Visit.Status.CANCELLED
                    visit.status_reason = f"death on {death:%Y-%m-%d}"
                visits.append(visit)
        create(Visit, visits, SUBJECTS)
        progress(0.6, "visits")
        for done, schema in enumerate(record_files, 1):
            if schema.name in sources:
                has_patient = any(f.name == "patient" for f in schema.model._meta.fields)
                records = []
                for s in subjects:
                    for row in s.rows(schema.name):
                        if has_patient:
                            row.record.patient = by_id[s.subject_id]
                        records.append(row.record)
                create(schema.model, records, schema.name)
            progress(0.6 + 0.35 * done / len(record_files), schema.saving)
        from trialsite.monitoring.services import edit_checks_run

        edit_checks_run(patient_pks=[p.pk for p in by_id.values()])
    return counts


def _visit_date(visit, record):
    """The visit date a record gives, as the form services set it (``crf.services._visit_date``):
    its visit date field, or its contact date when no other form of the visit records a visit
    date (a survival-only follow-up contact)."""
    model = type(record)
    field = getattr(model, "VISIT_DATE_FIELD", "")
    if field:
        return getattr(record, field)
    contact = getattr(model, "CONTACT_DATE_FIELD", "")
    if contact and not any(VISIT_RECORDS[code].VISIT_DATE_FIELD for code in visit.forms
                           if code in VISIT_RECORDS):
        return getattr(record, contact)
    return None


def _enter(visit, form_code, actual_date):
    """Mark ``form_code`` entered on ``visit``; the status follows its required forms
    (``visit_record_forms``)."""
    visit.entered_forms = sorted({*visit.entered_forms, form_code})
    visit.actual_date = actual_date or visit.actual_date
    missing = [code for code in visit.required_forms if code not in visit.entered_forms]
    visit.status = Visit.Status.INCOMPLETE if missing else Visit.Status.COMPLETED
