"""The ODM 1.3.2 file validates against the CDISC schema shipped by odmlib, and carries the data."""

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import odmlib
import pytest
from lxml import etree

from tests.exports.conftest import body
from trialsite.audit import audited_save
from trialsite.models import Role
from visits.crf.models import ConcomitantMedication, VitalSigns

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


@cache
def schema():
    path = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def parse(api, url):
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["X-Data-Cut"]
    return etree.fromstring(body(response).encode())


def assert_valid(document):
    valid = schema().validate(document)
    assert valid, "\n".join(str(e) for e in schema().error_log)


def test_whole_study_odm_is_schema_valid_with_metadata_and_data(trial, api_for):
    document = parse(api_for(Role.SPONSOR), "/api/v1/exports/odm.xml")
    assert_valid(document)
    assert document.get("ODMVersion") == "1.3.2"
    study = document.find("odm:Study", NS)
    assert study.get("OID") == "S.ICRG0201"
    events = {e.get("OID") for e in study.iterfind(".//odm:StudyEventDef", NS)}
    assert {"SE.SCR", "SE.BL", "SE.M1", "SE.M3", "SE.SUBJECT"} <= events
    assert study.find(".//odm:CodeList[@OID='CL.ADVERSE_EVENTS.OUTCOME']", NS) is not None
    subjects = [s.get("SubjectKey") for s in document.iterfind(".//odm:SubjectData", NS)]
    assert subjects == ["AONE-001", "ATWO-001"]
    weight = document.find(
        ".//odm:SubjectData[@SubjectKey='AONE-001']/odm:StudyEventData[@StudyEventOID='SE.BL']"
        "//odm:ItemData[@ItemOID='IT.VITAL_SIGNS.WEIGHT_KG']", NS)
    assert weight.get("Value") == str(VitalSigns.objects.get(
        visit__patient=trial.patient_a1).weight_kg)


def test_odm_with_audit_records_is_schema_valid(trial, api_for):
    document = parse(api_for(Role.SPONSOR), "/api/v1/exports/odm.xml?audit=1")
    assert_valid(document)
    records = document.findall(".//odm:AuditRecords/odm:AuditRecord", NS)
    assert records
    first = records[0]
    assert first.find("odm:UserRef", NS).get("UserOID").startswith("U.")
    assert first.find("odm:DateTimeStamp", NS).text


def test_odm_for_a_site_coordinator_is_valid_and_holds_only_their_site(trial, api_for):
    document = parse(api_for(Role.COORDINATOR), "/api/v1/exports/odm.xml?audit=1")
    assert_valid(document)
    assert [s.get("SubjectKey") for s in document.iterfind(".//odm:SubjectData", NS)] == [
        "AONE-001"]


def test_odm_with_no_visible_data_is_still_valid(world, api_for):
    assert_valid(parse(api_for(Role.CENTRAL_LAB), "/api/v1/exports/odm.xml"))


def _odm(user, **kwargs):
    from trialsite.exports.odm import odm_chunks

    return b"".join(odm_chunks(user, data_cut=datetime(2026, 11, 21, 12, tzinfo=UTC), **kwargs))


def _parsed(var, text):
    """An ODM value read back as the Python value the database holds."""
    if var.type in ("integer", "boolean"):
        return int(text)
    if var.type == "decimal":
        return Decimal(text)
    if var.type == "date":
        return date.fromisoformat(text)
    if var.type == "datetime":
        return datetime.fromisoformat(text)
    return text


def _odm_records(document, dataset):
    """(subject, sorted items) of each item group of the dataset's form, values parsed."""
    from trialsite.exports.odm import _oid, item_oid

    by_oid = {item_oid(dataset, v): v for v in dataset.variables}
    records = []
    for subject in document.iterfind(".//odm:SubjectData", NS):
        for group in subject.iterfind(
                f".//odm:FormData[@FormOID='F.{_oid(dataset.odm_form)}']/odm:ItemGroupData", NS):
            items = tuple(sorted(
                (by_oid[i.get("ItemOID")].name, _parsed(by_oid[i.get("ItemOID")], i.get("Value")))
                for i in group.iterfind("odm:ItemData", NS)))
            records.append((subject.get("SubjectKey"), items))
    return sorted(records, key=repr)


def _database_records(dataset, user):
    from trialsite.exports.odm import KEY_VARIABLES
    from trialsite.exports.registry import Filters, iter_rows

    names = dataset.names
    records = []
    for row in iter_rows(dataset, user, Filters()):
        # Values kept as text in the database (screening answers) are read as their type.
        items = tuple(sorted((v.name, _parsed(v, value) if isinstance(value, str) else value)
                             for v, value in zip(dataset.variables, row, strict=True)
                             if v.name not in KEY_VARIABLES and value not in (None, "")))
        records.append((row[names.index("subject_id")], items))
    return sorted(records, key=repr)


def _differences(found, expected):
    found_items = {(s, i) for s, items in found for i in items}
    expected_items = {(s, i) for s, items in expected for i in items}
    return {"only in ODM": found_items - expected_items,
            "only in the database": expected_items - found_items}


@pytest.mark.parametrize("in_database", [True, False], ids=["sql", "python"])
def test_every_odm_form_holds_exactly_its_dataset_rows(trial, monkeypatch, in_database):
    """Each dataset's rows are its form's item groups: same count, every value equal."""
    from trialsite.exports import odm

    monkeypatch.setattr(odm, "WRITE_IN_DATABASE", in_database)
    sponsor = trial.users[Role.SPONSOR]
    document = etree.fromstring(_odm(sponsor))
    assert_valid(document)
    seen = 0
    for dataset in odm.odm_datasets():
        expected = _database_records(dataset, sponsor)
        found = _odm_records(document, dataset)
        assert found == expected, (dataset.name, _differences(found, expected))
        seen += bool(expected)
    assert seen >= 12  # the trial fills most forms: the comparison is not vacuous


@pytest.mark.parametrize("in_database", [True, False], ids=["sql", "python"])
def test_odm_keeps_any_text_a_user_typed(trial, monkeypatch, in_database):
    from trialsite.exports import odm

    monkeypatch.setattr(odm, "WRITE_IN_DATABASE", in_database)
    medication = ConcomitantMedication.objects.filter(patient=trial.patient_a1).get()
    medication.name = 'Q&A <cream> "50%"\nline two\tend\x07'
    audited_save(medication, actor=trial.users[Role.COORDINATOR], reason="Name as on the box")
    document = etree.fromstring(_odm(trial.users[Role.SPONSOR]))
    assert_valid(document)
    item = document.find(".//odm:ItemData[@ItemOID='IT.CONCOMITANT_MEDICATIONS.MEDICATION']",
                         NS)
    # The bell character is not allowed in XML 1.0: it is the only thing dropped.
    assert item.get("Value") == 'Q&A <cream> "50%"\nline two\tend'


@pytest.mark.postgres
def test_postgresql_writes_the_same_bytes_as_python(trial, monkeypatch):
    """The item groups PostgreSQL writes are those the Python writer gives, byte for byte."""
    from trialsite.exports import odm

    sponsor = trial.users[Role.SPONSOR]
    medication = ConcomitantMedication.objects.filter(patient=trial.patient_a1).get()
    medication.name = "A&B <\"x\">\r\n\t\x01"
    audited_save(medication, actor=trial.users[Role.COORDINATOR], reason="Typo")
    monkeypatch.setattr(odm, "SUBJECTS_PER_CHUNK", 1)
    in_database = _odm(sponsor, audit=True)
    monkeypatch.setattr(odm, "WRITE_IN_DATABASE", False)
    assert _odm(sponsor, audit=True) == in_database
    assert b"IT.LABS.VALUE" in in_database


def test_audit_records_are_the_audit_trail_rows(trial):
    from trialsite.exports.registry import Filters, get_dataset, iter_rows

    sponsor = trial.users[Role.SPONSOR]
    vitals = VitalSigns.objects.get(visit__patient=trial.patient_a1)
    vitals.weight_kg += 1
    audited_save(vitals, actor=trial.users[Role.COORDINATOR], changed={"weight_kg"},
                 reason='Scale <B> & "recalibrated"')
    document = etree.fromstring(_odm(sponsor, audit=True))
    assert_valid(document)
    records = document.findall(".//odm:AuditRecords/odm:AuditRecord", NS)
    trail = get_dataset("audit_trail")
    rows = list(iter_rows(trail, sponsor, Filters(study=trial.study_a.code)))
    assert len(records) == len(rows)
    names = trail.names
    reasons = [r.findtext("odm:ReasonForChange", namespaces=NS) for r in records]
    assert 'Scale <B> & "recalibrated"' in reasons
    sources = {r.findtext("odm:SourceID", namespaces=NS) for r in records}
    assert {f"{r[names.index('table')]}:{r[names.index('record_id')]}:"
            f"{r[names.index('action')]}:{r[names.index('subject_id')]}" for r in rows} == sources


def _admin_users(document):
    return {u.findtext("odm:LoginName", namespaces=NS)
            for u in document.iterfind(".//odm:AdminData/odm:User", NS)}


def test_admin_data_lists_every_account_only_to_roles_allowed_to_see_them(trial, api_for):
    members = {u.username for u in trial.users.values()}
    for role in (Role.DATA_MANAGER, Role.MONITOR):
        assert members <= _admin_users(parse(api_for(role), "/api/v1/exports/odm.xml"))
    # A sponsor learns no account names from the metadata: none without audit records...
    sponsor_plain = _admin_users(parse(api_for(Role.SPONSOR), "/api/v1/exports/odm.xml"))
    assert sponsor_plain == {"system", "unknown"}
    # ... and with them, only the accounts those records name (each one resolves).
    document = parse(api_for(Role.SPONSOR), "/api/v1/exports/odm.xml?audit=1")
    assert_valid(document)
    listed = {u.get("OID") for u in document.iterfind(".//odm:AdminData/odm:User", NS)}
    referenced = {r.get("UserOID") for r in document.iterfind(".//odm:UserRef", NS)}
    assert referenced <= listed
    assert trial.users[Role.CENTRAL_LAB].username not in _admin_users(document)
    assert trial.users[Role.SPONSOR].username not in _admin_users(document)
