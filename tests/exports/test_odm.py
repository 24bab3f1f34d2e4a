"""The ODM 1.3.2 file validates against the CDISC schema shipped by odmlib, and carries the data."""

from functools import cache
from pathlib import Path

import odmlib
from lxml import etree

from tests.exports.conftest import body
from trialsite.models import Role
from visits.crf_models import VitalSigns

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
