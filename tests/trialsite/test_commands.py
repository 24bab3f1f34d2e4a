from io import StringIO

from django.core.management import call_command

from enrollment.models import Patient
from trialsite.models import Membership, Site, Study, User


def test_load_protocols_creates_both_studies_and_their_sites_once(db):
    call_command("load_protocols", stdout=StringIO())
    call_command("load_protocols", stdout=StringIO())
    assert sorted(Study.objects.values_list("code", flat=True)) == ["ICRG0201", "PALMARES-2"]
    assert Site.objects.filter(study__code="ICRG0201").count() == 7
    assert Site.objects.filter(study__code="PALMARES-2").count() == 24
    assert not User.objects.filter(username="coordinator").exists()


def test_seed_demo_is_idempotent_and_prints_one_login_per_role(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Patient.objects.count(), Membership.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Patient.objects.count(), Membership.objects.count(), User.objects.count()) == counts
    assert Patient.objects.filter(site__study__code="ICRG0201").count() == 40
    assert Patient.objects.filter(site__study__code="PALMARES-2").count() == 200
    statuses = set(Patient.objects.filter(site__study__code="ICRG0201")
                   .values_list("status", flat=True))
    assert statuses == {"screening", "screen_failed", "enrolled", "on_treatment",
                        "off_treatment", "off_study"}
    assert not Patient.objects.filter(site__study__code="ICRG0201", sex="M").exists()
    text = out.getvalue()
    for username in ("coordinator", "investigator", "monitor", "datamanager", "sponsor",
                     "centrallab", "admin"):
        assert f"  {username} " in text
    assert "trialsite-demo-2026" in text
    # Every demo patient was entered through the services: it has a creation history row.
    assert Patient.history.filter(history_type="+").count() == 240
    # Enrolled patients went through a signed eligible screening; screen failures through a
    # not-eligible one.
    from eligibility.models import Screening

    enrolled = Patient.objects.filter(enrolment__isnull=False)
    assert enrolled.count() == 208
    assert not enrolled.filter(screening__confirmed_at__isnull=True).exists()
    assert Screening.objects.filter(screen_failed_at__isnull=False).count() == 14
    # The site staff who signed cannot log in: their fast demo hash is not accepted normally.
    signer = Screening.objects.filter(confirmed_by__isnull=False).first().confirmed_by
    demo_login = User.objects.get(username="coordinator")
    assert demo_login.check_password("trialsite-demo-2026")
    assert signer.password.split("$")[0] == "md5"
    # Tumour assessments were read through the RECIST services at the entered imaging visits:
    # the outcomes page has responses and progressions to show, each agreeing with RECIST.
    from outcomes.models import TumourAssessment
    from outcomes.reports import study_endpoints, summary

    assessments = TumourAssessment.objects.all()
    assert assessments.count() > 20
    assert not assessments.filter(visit__isnull=True).exists()
    assert {"PR", "SD", "PD"} <= set(assessments.values_list("computed_response", flat=True))
    sponsor = User.objects.get(username="sponsor")
    from trialsite.models import Study

    reports = study_endpoints(sponsor, study=Study.objects.get(code="ICRG0201"))
    figures = summary(reports)
    assert any(r.endpoints and r.endpoints.objective_response for r in reports)
    assert figures["evaluable"] >= 10 and figures["km"] is not None
    assert "<svg" in figures["waterfall_svg"]
