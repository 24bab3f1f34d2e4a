"""Retrospective real-world import: everything checked first, every problem placed, all or
nothing saved, and what is saved audited with the importer and the file's checksum."""

import csv
import hashlib
import io
import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from bench.rwd_dataset import generate
from eligibility.models import Screening
from eligibility.services import enrolment_refusal
from enrollment.models import Enrolment, Patient
from enrollment.services import patient_register
from outcomes.models import CollectedItem, Comorbidity, TreatmentLine
from outcomes.realworld.importer import FILES, ImportRefused, import_real_world
from tests.factories import SiteFactory, UserFactory, grant, site_coordinator
from trialsite.models import Role
from trialsite.protocols.palmares2 import PROTOCOL
from visits.crf.models import AdverseEvent, SurvivalStatus
from visits.models import Visit

CUT_OFF = date.today() - timedelta(days=30)
SAVED = (Patient, Screening, Enrolment, Visit, TreatmentLine, AdverseEvent, SurvivalStatus,
         Comorbidity, CollectedItem)


@pytest.fixture
def palmares(world):
    """PALMARES-2 with its declared sites, and one data manager of the study."""
    for site in PROTOCOL.sites[:8]:
        SiteFactory(study=world.study_b, code=site.code, time_zone=site.time_zone)
    manager = grant(UserFactory(username="dm-palmares"), Role.DATA_MANAGER,
                    study=world.study_b)
    return world.study_b, manager


@pytest.fixture
def dataset(tmp_path):
    """A generated valid set of 8 patients (one per site), as {file name: bytes}."""
    generate(tmp_path, patients=8, seed=3, cut_off=CUT_OFF)
    return {name: (tmp_path / name).read_bytes() for name in FILES}


def rows(files, name):
    return list(csv.DictReader(io.StringIO(files[name].decode())))


def write(files, name, table):
    out = io.StringIO()
    writer = csv.DictWriter(out, list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    return {**files, name: out.getvalue().encode()}


def counts():
    return {model.__name__: model.objects.count() for model in SAVED}


def refused(study, manager, files):
    before = counts()
    with pytest.raises(ImportRefused) as excinfo:
        import_real_world(actor=manager, study=study, files=files)
    assert counts() == before, "a refused import saved something"
    return [(p.file, p.row, p.column, p.message) for p in excinfo.value.problems]


def test_valid_set_imports_with_user_and_file_checksum_in_history(palmares, dataset):
    study, manager = palmares
    summary = import_real_world(actor=manager, study=study, files=dataset)
    subjects = rows(dataset, "subjects.csv")
    assert summary["created"]["patient"] == len(subjects) == 8
    assert Patient.objects.filter(site__study=study).count() == 9  # with the world's own
    digest = hashlib.sha256(dataset["subjects.csv"]).hexdigest()
    reason = f"Imported from subjects.csv sha256:{digest}"
    patient = Patient.objects.get(subject_id=subjects[0]["subject_id"])
    entry = patient.history.get()
    assert entry.history_user == manager and entry.history_change_reason == reason
    screening = Screening.objects.get(patient=patient)
    assert screening.verdict == "ELIGIBLE" and not screening.is_confirmed
    assert screening.history.get().history_change_reason.startswith(
        "Imported from screening.csv sha256:")
    lines = TreatmentLine.objects.filter(patient=patient).order_by("number")
    assert len(lines) == len([r for r in rows(dataset, "treatment_lines.csv")
                              if r["subject_id"] == patient.subject_id])
    assert all(line.history.get().history_change_reason.startswith(
        "Imported from treatment_lines.csv") for line in lines)
    assert AdverseEvent.objects.count() == len(rows(dataset, "toxicities.csv"))
    assert SurvivalStatus.objects.count() == len(rows(dataset, "follow_ups.csv"))
    assert Enrolment.objects.get(patient=patient).day1 == date.fromisoformat(
        subjects[0]["day1"])


def test_schedule_and_death_are_what_the_services_leave(palmares, dataset):
    study, manager = palmares
    import_real_world(actor=manager, study=study, files=dataset)
    dead = [r for r in rows(dataset, "follow_ups.csv") if r["vital_status"] == "dead"]
    for row in dead:
        patient = Patient.objects.get(subject_id=row["subject_id"])
        assert patient.status == "off_study"
        assert patient.death_date == date.fromisoformat(row["death_date"])
        later = Visit.objects.filter(patient=patient, target_date__gt=patient.death_date,
                                     entered_forms=[])
        assert later.exists() and all(v.status == "cancelled" for v in later)
    alive = Patient.objects.filter(site__study=study, death_date__isnull=True,
                                   enrolment__isnull=False)
    for patient in alive:
        assert patient.status == "enrolled"
        visits = list(Visit.objects.filter(patient=patient))
        assert {v.code for v in visits} >= {"BL", "FU1"}
        assert all(v.retrospective for v in visits if v.window_end < date.today())
    survival = SurvivalStatus.objects.select_related("visit").first()
    assert "survival_status" in survival.visit.entered_forms
    assert survival.visit.status == "incomplete"  # drug exposure is still to enter


def test_imported_screening_is_not_a_signature_and_pages_still_refuse(palmares, dataset):
    study, manager = palmares
    import_real_world(actor=manager, study=study, files=dataset)
    screening = Screening.objects.select_related("patient__site__study").first()
    assert screening.confirmed_by is None
    assert enrolment_refusal(screening)  # the patient is enrolled by the import, not a page
    enrolment = Enrolment.objects.get(patient=screening.patient)
    assert enrolment.history.get().history_change_reason.startswith("Imported from subjects")


def test_next_registration_takes_the_next_number(palmares, dataset):
    study, manager = palmares
    import_real_world(actor=manager, study=study, files=dataset)
    imported = Patient.objects.get(subject_id=rows(dataset, "subjects.csv")[0]["subject_id"])
    site = imported.site
    new = patient_register(actor=site_coordinator(site), site=site, sex="F",
                           birth_date=date(1960, 1, 1), consent_date=date.today(),
                           consent_version="1.0")
    assert new.subject_number == imported.subject_number + 1


def test_second_import_of_the_same_files_is_refused(palmares, dataset):
    study, manager = palmares
    import_real_world(actor=manager, study=study, files=dataset)
    problems = refused(study, manager, dataset)
    assert any(p[0] == "subjects.csv" and p[1] == 2 and p[2] == "subject_id"
               and "already used" in p[3] for p in problems)


def test_duplicate_subject_in_the_file_is_refused(palmares, dataset):
    study, manager = palmares
    subjects = rows(dataset, "subjects.csv")
    files = write(dataset, "subjects.csv", [*subjects, subjects[0]])
    problems = refused(study, manager, files)
    assert ("subjects.csv", len(subjects) + 2, "subject_id") in [p[:3] for p in problems]


def _bad(dataset, name, index, **changes):
    table = rows(dataset, name)
    table[index].update(changes)
    return write(dataset, name, table)


@pytest.mark.parametrize("name, changes, column, words", [
    ("subjects.csv", {"subject_id": "ITMI1-12"}, "subject_id", "not a subject id"),
    ("subjects.csv", {"site": "NOPE"}, "site", "not a site of PALMARES-2"),
    ("subjects.csv", {"subject_id": "ITMI2-001"}, "subject_id", "does not belong to site"),
    ("subjects.csv", {"sex": "X"}, "sex", "the protocol enrols"),
    ("subjects.csv", {"birth_date": "1970-02-30"}, "birth_date", "not a date"),
    ("subjects.csv", {"consent_date": "2099-01-01"}, "consent_date", "future"),
    ("subjects.csv", {"consent_version": "9.9"}, "consent_version", "not in use"),
    ("subjects.csv", {"cdk46i": "TAMOXIFEN"}, "cdk46i", "not one of"),
    ("subjects.csv", {"cdk46i_start_dose_mg": "130"}, "cdk46i_start_dose_mg", "Dose levels"),
    ("subjects.csv", {"endocrine": "TAMOXIFEN"}, "endocrine", "not one of"),
    ("screening.csv", {"er_percent": "0", "pgr_percent": "0"}, "", "P-INC01"),
    ("screening.csv", {"cdk46i_with_endocrine": "N"}, "", "Not eligible"),
    ("screening.csv", {"her2_ihc": "4+"}, "her2_ihc", "unknown code"),
    ("screening.csv", {"cdk46i_start_date": "2001-01-01"}, "cdk46i_start_date", "day1"),
    ("screening.csv", {"subject_id": "ITMI1-999"}, "subject_id", "not a valid subject"),
    ("treatment_lines.csv", {"drugs": "LETROZOLE"}, "drugs", "CDK4/6 inhibitor"),
    ("treatment_lines.csv", {"start_date": "2001-01-01"}, "start_date", "day 1"),
    ("treatment_lines.csv", {"drugs": "PALBOCICLIB+ASPIRIN"}, "drugs", "Unknown drug"),
    ("treatment_lines.csv", {"stop_reason": "bored"}, "stop_reason", "not one of"),
    ("toxicities.csv", {"grade": "6"}, "grade", "CTCAE grade"),
    ("toxicities.csv", {"start_date": ""}, "start_date", "Required"),
    ("toxicities.csv", {"outcome": "recovered", "end_date": ""}, "end_date", "end date"),
    ("toxicities.csv", {"visit_code": "FU999"}, "visit_code", "has no visit FU999"),
    ("follow_ups.csv", {"vital_status": "dead"}, "death_date", "give the date of death"),
    ("follow_ups.csv", {"last_contact_date": "1999-01-01"}, "last_contact_date",
     "before the patient's consent"),
    ("follow_ups.csv", {"vital_status": "zombie"}, "vital_status", "not one of"),
    ("comorbidities.csv", {"comorbidity": "GOUT"}, "comorbidity", "not one of"),
    ("comorbidities.csv", {"comorbidity": "OTHER", "details": ""}, "details", "Say which"),
    ("collected_items.csv", {"item": "MRI"}, "item", "not one of"),
    ("collected_items.csv", {"collected_on": "2099-01-01"}, "collected_on", "future"),
    ("collected_items.csv", {"storage_reference": ""}, "storage_reference", "Required"),
    ("collected_items.csv", {"consent_for_use": ""}, "consent_for_use", "Required"),
    ("collected_items.csv", {"consent_for_use": "maybe"}, "consent_for_use", "not yes/no"),
])
def test_bad_cell_is_reported_at_file_row_column_and_nothing_saved(
        palmares, dataset, name, changes, column, words):
    study, manager = palmares
    problems = refused(study, manager, _bad(dataset, name, 0, **changes))
    assert any(p[0] == name and p[1] == 2 and p[2] == column and words in p[3]
               for p in problems), problems


def test_alive_after_death_is_refused(palmares, dataset):
    study, manager = palmares
    follow_ups = rows(dataset, "follow_ups.csv")
    dead = next(i for i, r in enumerate(follow_ups) if r["vital_status"] == "dead")
    later = dict(follow_ups[dead], vital_status="alive", death_date="", death_cause="",
                 death_cause_other="", visit_code="",
                 last_contact_date=(date.fromisoformat(follow_ups[dead]["death_date"])
                                    + timedelta(days=5)).isoformat())
    problems = refused(study, manager, write(dataset, "follow_ups.csv", [*follow_ups, later]))
    assert ("follow_ups.csv", len(follow_ups) + 2, "vital_status") in [p[:3] for p in problems]


def test_missing_required_file_and_column_and_unknown_column(palmares, dataset):
    study, manager = palmares
    files = {k: v for k, v in dataset.items() if k != "screening.csv"}
    assert ("screening.csv", 0, "") in [p[:3] for p in refused(study, manager, files)]
    table = [{k: v for k, v in r.items() if k != "sex"} | {"shoe_size": "38"}
             for r in rows(dataset, "subjects.csv")]
    problems = [p[:3] for p in refused(study, manager, write(dataset, "subjects.csv", table))]
    assert ("subjects.csv", 1, "sex") in problems and ("subjects.csv", 1, "shoe_size") in problems


def test_every_problem_is_reported_not_only_the_first(palmares, dataset):
    study, manager = palmares
    files = _bad(dataset, "subjects.csv", 0, sex="X")
    files = _bad(files, "toxicities.csv", 1, grade="9")
    problems = refused(study, manager, files)
    assert {p[0] for p in problems} >= {"subjects.csv", "toxicities.csv"}


def test_only_the_studys_data_managers_import(palmares, dataset, world):
    study, _ = palmares
    other_manager = world.users[Role.DATA_MANAGER]  # data manager of ICRG0201
    coordinator = site_coordinator(study.sites.get(code="ITMI1"))
    for user in (other_manager, coordinator):
        with pytest.raises(PermissionDenied):
            import_real_world(actor=user, study=study, files=dataset)
    assert not Patient.objects.filter(site__code="ITMI1").exists()


def test_command_prints_summary_or_problems(palmares, tmp_path):
    study, manager = palmares
    generate(tmp_path, patients=8, seed=5, cut_off=CUT_OFF)
    out = StringIO()
    call_command("import_real_world", str(tmp_path), study="PALMARES-2", username=manager.username,
                 stdout=out)
    assert json.loads(out.getvalue())["created"]["patient"] == 8
    out = StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command("import_real_world", str(tmp_path), study="PALMARES-2",
                     username=manager.username, stdout=out)
    assert excinfo.value.code == 2
    problems = json.loads(out.getvalue())["problems"]
    assert {p["file"] for p in problems} == {"subjects.csv"}
    assert all("already used" in p["message"] for p in problems)


def test_comorbidities_and_collected_items_import_with_their_file_in_history(palmares, dataset):
    study, manager = palmares
    comorbidities, items = rows(dataset, "comorbidities.csv"), rows(dataset, "collected_items.csv")
    assert comorbidities and items
    summary = import_real_world(actor=manager, study=study, files=dataset)
    assert summary["created"]["comorbidity"] == len(comorbidities)
    assert summary["created"]["collecteditem"] == len(items)
    first = items[0]
    item = CollectedItem.objects.get(patient__subject_id=first["subject_id"], kind=first["item"])
    assert (item.collected_on.isoformat(), item.storage_reference, item.consent_for_use) == (
        first["collected_on"], first["storage_reference"], first["consent_for_use"] == "1")
    entry = item.history.get()
    assert entry.history_user == manager
    assert entry.history_change_reason.startswith("Imported from collected_items.csv sha256:")
    codes = {(c.patient.subject_id, c.code) for c in Comorbidity.objects.select_related(
        "patient")}
    assert codes == {(r["subject_id"], r["comorbidity"]) for r in comorbidities}


def test_a_comorbidity_or_item_given_twice_is_refused(palmares, dataset):
    study, manager = palmares
    table = rows(dataset, "comorbidities.csv")
    files = write(dataset, "comorbidities.csv", [*table, dict(table[0])])
    items = rows(files, "collected_items.csv")
    files = write(files, "collected_items.csv", [*items, dict(items[0])])
    problems = [p[:3] for p in refused(study, manager, files)]
    assert ("comorbidities.csv", len(table) + 2, "comorbidity") in problems
    assert ("collected_items.csv", len(items) + 2, "item") in problems


def test_a_study_without_real_world_data_refuses_those_files(world, dataset):
    manager = grant(UserFactory(username="dm-icrg"), Role.DATA_MANAGER, study=world.study_a)
    files = {"subjects.csv": dataset["subjects.csv"], "screening.csv": dataset["screening.csv"],
             "comorbidities.csv": dataset["comorbidities.csv"]}
    problems = refused(world.study_a, manager, files)
    assert ("comorbidities.csv", 0, "") in [p[:3] for p in problems]
