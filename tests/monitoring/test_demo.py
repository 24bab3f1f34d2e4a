"""The demo trial has monitoring activity: queries in each status, SDV marks, a signature."""

from io import StringIO

from django.core.management import call_command

from trialsite.monitoring import selectors
from trialsite.monitoring.models import CasebookSignature, Query, SdvMark


def test_demo_has_queries_in_each_status_sdv_marks_and_a_valid_signature(db):
    call_command("seed_demo", stdout=StringIO(), quiet_logins=True)
    manual = Query.objects.filter(check_code="")
    assert set(manual.values_list("status", flat=True)) == {"open", "answered", "closed"}
    assert SdvMark.objects.count() >= 5
    signature = CasebookSignature.objects.get()
    assert selectors.signature_state(signature.patient_pk).valid
    call_command("seed_demo", stdout=StringIO(), quiet_logins=True)
    assert Query.objects.filter(check_code="").count() == manual.count() == 3
