"""Site isolation, table-driven over every URL that takes an object id.

A new route that takes an id fails ``test_every_object_route_is_covered`` until it is added to
``OBJECT_ROUTES`` with a way to name another site's object, so later features join this test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import SITE_ROLES, STUDY_ROLES
from trialsite.models import Role

ALL_ROLES = SITE_ROLES + STUDY_ROLES


def foreign_patients(world, role):
    """Patients the role must not reach: another site of its study, and another study."""
    if role in SITE_ROLES:
        return [world.patient_a2, world.patient_b1]
    return [world.patient_b1]


def foreign_sites(world, role):
    return [p.site for p in foreign_patients(world, role)]


def foreign_studies(world, role):
    return [world.study_b]


def _patients(world, role):
    return [{"subject_id": p.subject_id} for p in foreign_patients(world, role)]


def _foreign_visit(patient):
    """A baseline visit (with every visit form) and an adverse event for a foreign patient."""
    from datetime import date

    from trialsite.audit import audited_save
    from trialsite.services import system_user
    from visits.crf.models import PATIENT_LISTS, VISIT_RECORDS, AdverseEvent
    from visits.models import Visit

    visit = Visit.objects.filter(patient=patient, code="BL").first()
    if visit is None:
        forms = [*VISIT_RECORDS, *PATIENT_LISTS]
        visit = audited_save(Visit(
            patient=patient, code="BL", label="Baseline", kind=Visit.Kind.SCHEDULED,
            target_date=date(2026, 1, 29), window_start=date(2026, 1, 29),
            window_end=date(2026, 2, 1), forms=forms, required_forms=forms,
        ), actor=system_user())
    ae = AdverseEvent.objects.filter(patient=patient).first() or audited_save(AdverseEvent(
        patient=patient, visit=visit, term="Fatigue", grade=1, start_date=date(2026, 2, 1),
        serious=False, relation_cdk46i="possible", relation_endocrine="unlikely",
        action_taken="none", outcome="recovering",
    ), actor=system_user())
    return visit, ae


def _visits(world, role):
    return [{"subject_id": p.subject_id, "code": _foreign_visit(p)[0].code}
            for p in foreign_patients(world, role)]


def _visit_forms(world, role):
    return [{**kwargs, "form_code": form_code} for kwargs in _visits(world, role)
            for form_code in ("performance_status", "haematology", "adverse_events")]


def _visit_lists(world, role):
    return [{**kwargs, "form_code": "adverse_events"} for kwargs in _visits(world, role)]


def _visit_list_items(world, role):
    return [{"subject_id": p.subject_id, "code": "BL", "form_code": "adverse_events",
             "pk": _foreign_visit(p)[1].pk} for p in foreign_patients(world, role)]


def _foreign_import_jobs(world):
    """A real-world import job of the other study (PALMARES-2)."""
    from outcomes.models import ImportJob
    from trialsite.audit import audited_save
    from trialsite.services import system_user

    job = (ImportJob.objects.filter(study=world.study_b).first()
           or audited_save(ImportJob(study=world.study_b, requested_by=system_user()),
                           actor=system_user()))
    return [{"code": world.study_b.code, "job_id": job.pk}]


def _foreign_biosamples(patient):
    """A sample with one aliquot, a box and a shipped shipment at a foreign patient's site."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from biosamples.models import Aliquot, Box, Freezer, Rack, Sample, Shipment
    from trialsite.audit import audited_save
    from trialsite.services import system_user

    site, actor = patient.site, system_user()
    sample = Sample.objects.filter(site=site).first()
    if sample is None:
        visit = _foreign_visit(patient)[0]
        sample = audited_save(Sample(site=site, visit=visit, sample_code="liquid_biopsy",
                                     status=Sample.Status.COLLECTED,
                                     drawn_at=datetime(2026, 1, 29, 8, tzinfo=UTC)), actor=actor)
        audited_save(Aliquot(site=site, sample=sample, label=f"{patient.subject_id}-BL-LB-01",
                             number=1, volume_ml=Decimal("0.5")), actor=actor)
        rack = audited_save(Rack(freezer=audited_save(Freezer(site=site, name="F"), actor=actor),
                                 name="R"), actor=actor)
        audited_save(Box(rack=rack, name="B"), actor=actor)
        audited_save(Shipment(site=site, reference=f"{site.code}-SH001", destination_lab="QOLAB",
                              status="shipped", shipped_at=datetime(2026, 2, 1, tzinfo=UTC)),
                     actor=actor)
    return {"sample": sample, "aliquot": Aliquot.objects.get(sample=sample),
            "box": Box.objects.get(rack__freezer__site=site),
            "shipment": Shipment.objects.get(site=site)}


def _bio(kind):
    return lambda w, r: [{"pk": _foreign_biosamples(p)[kind].pk}
                         for p in foreign_patients(w, r)]


def _foreign_spectra(kind):
    """A batch of spectra and an analysis run of the other study."""

    def make(world, role):
        from django.utils import timezone

        from biosamples.spectra.models import AnalysisRun, SpectraBatch
        from trialsite.audit import audited_save
        from trialsite.services import system_user

        study = world.study_b
        if kind == "batch":
            obj = SpectraBatch.objects.filter(study=study).first() or audited_save(
                SpectraBatch(study=study, lab_code="QOLAB", file_name="b.zip",
                             checksum_sha256="0" * 64, spectrum_count=0), actor=system_user())
        else:
            obj = AnalysisRun.objects.filter(study=study).first() or audited_save(
                AnalysisRun(study=study, data_cut=timezone.now(), seed=1, permutations=0),
                actor=system_user())
        return [{"pk": obj.pk}]

    return make


def _expected_samples(world, role):
    return [{**kwargs, "sample_code": "liquid_biopsy"} for kwargs in _visits(world, role)]


def _others_package(world, role):
    from tests.factories import UserFactory
    from trialsite.exports.models import DataPackage

    package = DataPackage.objects.create(requested_by=UserFactory(), status="ready",
                                         file_name="x.zip")
    return [{"pk": package.pk}]


def _foreign_archives(world, role):
    """A ready archive of every site the role may not download from (for a coordinator,
    monitor or sponsor, that is every site: only investigators and data managers may)."""
    from tests.factories import UserFactory
    from trialsite.audit import audited_save
    from trialsite.exports.models import SiteArchive
    from trialsite.models import Role

    sites = foreign_sites(world, role)
    if role not in (Role.INVESTIGATOR, Role.DATA_MANAGER):
        sites = [*sites, world.site_a1]
    return [{"pk": audited_save(SiteArchive(site=site, requested_by=UserFactory(),
                                            status="ready", file_name="x.zip"),
                                actor=world.users[Role.COORDINATOR]).pk} for site in sites]


def _others_token(world, role):
    from tests.factories import UserFactory, api_key
    from trialsite.exports.models import ApiToken

    api_key(UserFactory())
    return [{"pk": ApiToken.objects.latest("id").pk}]


def _monitored_records(world, role):
    return [kwargs for p in foreign_patients(world, role)
            for kwargs in ({"type_id": "visits.visit", "pk": _foreign_visit(p)[0].pk},
                           {"type_id": "visits.adverseevent", "pk": _foreign_visit(p)[1].pk},
                           {"type_id": "enrollment.patient", "pk": p.pk})]


def _foreign_query(patient):
    from trialsite.monitoring import services
    from trialsite.monitoring.models import Query
    from trialsite.services import system_user

    visit, _ = _foreign_visit(patient)
    return (Query.objects.filter(patient_pk=patient.pk).first()
            or services.query_open(actor=system_user(), record=visit, text="Please check"))


def _foreign_lock(patient):
    from trialsite.audit import audited_save
    from trialsite.monitoring.models import Lock
    from trialsite.services import system_user

    return Lock.objects.filter(patient_pk=patient.pk).first() or audited_save(Lock(
        level=Lock.Level.PATIENT, site=patient.site, patient_pk=patient.pk,
        patient_label=patient.subject_id, target_label=patient.subject_id, lock_reason="x",
        locked_by=system_user()), actor=system_user())


def _queries(world, role):
    return [{"pk": _foreign_query(p).pk} for p in foreign_patients(world, role)]


def _visit_pks(world, role):
    return [{"pk": _foreign_visit(p)[0].pk} for p in foreign_patients(world, role)]


#: route name → (world, role) → kwargs of objects that must answer 404
OBJECT_ROUTES = {
    "patient-detail": _patients,
    "patient-edit": _patients,
    "patient-status": _patients,
    "patient-withdraw": _patients,
    "patient-void": _patients,
    "patient-api-detail": _patients,
    "screening": _patients,
    "screening-evaluate": _patients,
    "screening-confirm": _patients,
    "screening-fail": _patients,
    "enrol": _patients,
    "screen-failures": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "site-calendar": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "enrolment-redate": _patients,
    "progression-record": _patients,
    "death-record": _patients,
    "study-schedule": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "site-api-detail": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "study-api-detail": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "study-overview": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "study-prescreen": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "study-outcomes": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "visit-detail": _visits,
    "visit-missed": _visits,
    "visit-form": _visit_forms,
    "visit-form-none": _visit_lists,
    "visit-form-item": _visit_list_items,
    "visit-form-item-void": _visit_list_items,
    "tumour-baseline": _patients,
    "tumour-assessment": _visits,
    "real-world": _patients,
    "treatment-line": lambda w, r: [{"subject_id": p.subject_id, "number": 1}
                                    for p in foreign_patients(w, r)],
    "missing-items": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "rwd-import": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "rwd-import-job": lambda w, r: _foreign_import_jobs(w),
    "rwd-import-status": lambda w, r: _foreign_import_jobs(w),
    "sample-draw": _expected_samples,
    "sample-not-collected": _expected_samples,
    "visit-sample-labels": _visits,
    "sample-process": _bio("sample"),
    "sample-custody": _bio("sample"),
    "sample-split": _bio("sample"),
    "sample-correct": _bio("sample"),
    "aliquot-discard": _bio("sample"),
    "site-storage": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "site-shipments": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "box-map": _bio("box"),
    "box-store": _bio("box"),
    "shipment-detail": _bio("shipment"),
    "shipment-add": _bio("shipment"),
    "shipment-remove": _bio("shipment"),
    "shipment-ship": _bio("shipment"),
    "shipment-manifest-csv": _bio("shipment"),
    "shipment-manifest-pdf": _bio("shipment"),
    "shipment-receive": _bio("shipment"),
    "lab-results-upload": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    # Spectra: a laboratory's batches and upload page, the statistician's analysis runs.
    "spectra-upload": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "spectra-batch": _foreign_spectra("batch"),
    "fingerprint-runs": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "fingerprint-run": _foreign_spectra("run"),
    "fingerprint-run-pdf": _foreign_spectra("run"),
    "sample-api-detail": _bio("sample"),
    "aliquot-api-detail": _bio("aliquot"),
    "shipment-api-detail": _bio("shipment"),
    "shipment-api-receive": _bio("shipment"),
    # Monitoring: records by form key, queries, locks, patients, visits, sites, studies.
    "record-review": _monitored_records,
    "query-open": _monitored_records,
    "sdv-mark": _monitored_records,
    "query-detail": _queries,
    "query-api-detail": _queries,
    "query-api-answer": _queries,
    "query-api-close": _queries,
    "query-api-reopen": _queries,
    "patient-trail": _patients,
    "casebook-sign": _patients,
    "patient-lock": _patients,
    "visit-lock": _visit_pks,
    "visit-sdv": _visit_pks,
    "lock-release": lambda w, r: [{"pk": _foreign_lock(p).pk} for p in foreign_patients(w, r)],
    "site-lock": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "sdv-worklist": lambda w, r: [{"code": s.code} for s in foreign_sites(w, r)],
    "study-trail": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "study-trail-csv": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    "study-dashboard": lambda w, r: [{"code": s.code} for s in foreign_studies(w, r)],
    # Exports: packages and tokens are personal (another user's answers 404). A dataset's rows
    # are filtered per role and site: tests/exports/test_visibility.py checks every dataset.
    "export-package": _others_package,
    "export-package-download": _others_package,
    "api-token-revoke": _others_token,
    "casebook-pdf": _patients,
    "export-archive": _foreign_archives,
    "export-archive-download": _foreign_archives,
    "export-dataset": lambda w, r: [{"dataset": "no_such_dataset", "fmt": "csv"}],
}

#: API actions that only take POST: a GET answers 405 whatever the object (it says nothing of
#: it), and the POST must answer 404.
POST_ONLY_ROUTES = {"query-api-answer", "query-api-close", "query-api-reopen"}

#: list routes whose pages or payloads must not mention a foreign patient
LIST_ROUTES = ["home", "patient-list", "site-list", "patient-api-list", "site-api-list",
               "query-list", "query-api-list"]
#: list routes that must not mention a foreign site either
SITE_LIST_ROUTES = {"site-list", "site-api-list"}

IGNORED_NAMESPACES = {"admin"}


def object_routes():
    """Every named route of the project that takes an argument (format suffixes aside)."""
    found = set()

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if ns in IGNORED_NAMESPACES:
                    continue
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                kwargs = set(p.pattern.regex.groupindex) - {"format"}
                if kwargs:
                    found.add(p.name)

    walk(get_resolver().url_patterns)
    return found


def test_every_object_route_is_covered():
    uncovered = object_routes() - set(OBJECT_ROUTES)
    assert uncovered == set(), f"add these routes to OBJECT_ROUTES: {sorted(uncovered)}"


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
@pytest.mark.parametrize("role", ALL_ROLES)
def test_another_sites_object_answers_404(client, world, role, route):
    client.force_login(world.users[role])
    for kwargs in OBJECT_ROUTES[route](world, role):
        url = reverse(route, kwargs=kwargs)
        assert client.get(url).status_code == (405 if route in POST_ONLY_ROUTES else 404), (
            role, url)
        assert client.post(url, {"reason": "x", "version": 1}).status_code in (
            (404,) if route in POST_ONLY_ROUTES else (404, 405)), (role, url)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_foreign_patients_never_appear_in_lists(client, world, role):
    client.force_login(world.users[role])
    for route in LIST_ROUTES:
        url = reverse(route)
        response = client.get(url)
        assert response.status_code == 200, (role, url)
        body = response.content.decode()
        for patient in foreign_patients(world, role):
            assert patient.subject_id not in body, (role, url)
        if route in SITE_LIST_ROUTES:
            for site in foreign_sites(world, role):
                assert site.name not in body, (role, url)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR,
                                  Role.DATA_MANAGER, Role.SPONSOR])
def test_own_objects_are_reachable(client, world, role):
    """The 404s above come from visibility, not from broken routes."""
    client.force_login(world.users[role])
    for route in ("patient-detail", "patient-api-detail"):
        url = reverse(route, kwargs={"subject_id": world.patient_a1.subject_id})
        assert client.get(url).status_code == 200, (role, url)


def test_central_lab_sees_no_patient_at_all(client, world):
    client.force_login(world.users[Role.CENTRAL_LAB])
    url = reverse("patient-detail", kwargs={"subject_id": world.patient_a1.subject_id})
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/patients/").json()["results"] == []


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(reverse("patient-detail", args=[world.patient_a1.subject_id]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get("/api/v1/patients/").status_code in (401, 403)
