"""The audit trail: every create, change and void leaves a history row nobody can skip."""

from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from enrollment import services
from enrollment.models import Patient
from tests.factories import SiteFactory
from trialsite.audit import (
    AuditedModel,
    AuditError,
    ReasonRequired,
    StaleVersion,
    bulk_update_audited,
    record_update,
)
from trialsite.models import (
    AuditChainHead,
    AuditChainLink,
    AuditTrailVerification,
    Membership,
    Site,
    Study,
    SubmissionToken,
    User,
)

PROJECT_APPS = ("trialsite", "enrollment", "eligibility", "visits", "biosamples", "outcomes")
#: The trail's own integrity records (hash chain, verification runs): written by triggers and
#: the verification job, never edited; a history of them would be a trail of the trail. And the
#: one-time submission keys, which are request bookkeeping, not data.
AUDIT_BOOKKEEPING = {AuditChainLink, AuditChainHead, AuditTrailVerification, SubmissionToken}


def project_models():
    return [
        m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()
        if not hasattr(m, "instance_type")  # the history models themselves
        and m not in AUDIT_BOOKKEEPING
    ]


def test_every_model_of_the_six_apps_has_history():
    models = project_models()
    assert {Patient, Study, Site, Membership, User} <= set(models)
    missing = [m.__name__ for m in models if not hasattr(m, "history")]
    assert missing == []


def test_every_clinical_model_is_audited_with_version_and_void():
    clinical = [m for m in project_models() if m is not User]
    assert all(issubclass(m, AuditedModel) for m in clinical)


def test_create_change_and_void_each_leave_a_history_row(world, coordinator):
    patient = world.patient_a1
    patient = services.patient_update(
        actor=coordinator, patient=patient, expected_version=1,
        reason="Transcription error in consent version", consent_version="1.1",
    )
    services.patient_void(actor=coordinator, patient=patient, reason="Registered twice")

    rows = list(patient.history.order_by("history_date", "history_id"))
    assert [r.history_type for r in rows] == ["+", "~", "~"]
    assert [r.version for r in rows] == [1, 2, 3]
    assert all(r.history_user == coordinator for r in rows)
    assert all(r.history_date.tzinfo is not None and r.history_date.utcoffset().total_seconds() == 0
               for r in rows)
    assert rows[1].history_change_reason == "Transcription error in consent version"
    assert rows[1].consent_version == "1.1" and rows[0].consent_version == "1.0"
    assert rows[2].history_change_reason == "Voided: Registered twice"
    assert rows[2].voided_at is not None


def test_change_without_reason_is_refused_and_nothing_changes(world, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        services.patient_update(
            actor=coordinator, patient=world.patient_a1, expected_version=1, reason="  ",
            consent_version="1.1",
        )
    assert "reason" in excinfo.value.message_dict
    world.patient_a1.refresh_from_db()
    assert world.patient_a1.consent_version == "1.0"
    assert world.patient_a1.history.count() == 1


def test_model_save_without_reason_is_refused_even_outside_services(world, coordinator):
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    patient._history_user = coordinator
    patient.consent_version = "1.1"
    with pytest.raises(ReasonRequired):
        patient.save()


def test_a_stale_copy_cannot_overwrite_a_newer_save(world, coordinator):
    """Even a save that skips the services is refused when its copy is out of date."""
    first = Patient.objects.get(pk=world.patient_a1.pk)
    stale = Patient.objects.get(pk=world.patient_a1.pk)
    services.patient_update(actor=coordinator, patient=first, expected_version=1,
                            reason="Source check", consent_version="1.1")
    stale._history_user = coordinator
    stale._change_reason = "late save"
    stale.birth_date = date(1971, 1, 1)
    with pytest.raises(StaleVersion) as excinfo, transaction.atomic():
        stale.save()
    assert excinfo.value.instance.version == 2
    current = Patient.objects.get(pk=world.patient_a1.pk)
    assert (current.consent_version, current.birth_date) == ("1.1", date(1970, 5, 17))
    assert current.history.count() == 2


def test_model_save_without_acting_user_is_refused(world):
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    patient._change_reason = "anything"
    with pytest.raises(AuditError, match="acting user"):
        patient.save()


def test_queryset_update_on_an_audited_model_is_refused(world):
    with pytest.raises(AuditError, match="update"):
        Patient.objects.filter(pk=world.patient_a1.pk).update(consent_version="9")
    assert Patient.objects.get(pk=world.patient_a1.pk).consent_version == "1.0"


def test_plain_bulk_update_is_refused(world):
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    patient.consent_version = "1.1"
    with pytest.raises(AuditError, match="bulk_update"):
        Patient.objects.bulk_update([patient], ["consent_version"])


def test_delete_is_refused_for_records_and_querysets(world):
    with pytest.raises(AuditError, match="voided"):
        world.patient_a1.delete()
    with pytest.raises(AuditError, match="voided"):
        Patient.objects.all().delete()
    assert Patient.objects.count() == 3


def test_bulk_update_audited_writes_history_with_user_and_reason(world, coordinator):
    patients = list(Patient.objects.filter(site__study=world.study_a))
    for p in patients:
        p.consent_version = "1.1"
    bulk_update_audited(Patient, patients, ["consent_version"], actor=coordinator,
                        reason="Re-consent to amended form")
    for p in Patient.objects.filter(site__study=world.study_a):
        latest = p.history.latest()
        assert p.version == 2 and latest.version == 2
        assert latest.consent_version == "1.1"
        assert latest.history_user == coordinator
        assert latest.history_change_reason == "Re-consent to amended form"


def test_bulk_update_audited_needs_a_reason(world, coordinator):
    with pytest.raises(ReasonRequired):
        bulk_update_audited(Patient, [world.patient_a1], ["consent_version"], actor=coordinator,
                            reason="")


def test_stale_version_is_refused_with_what_changed_and_nothing_lost(world, coordinator):
    other = world.users["investigator"]
    first = services.patient_update(
        actor=other, patient=world.patient_a1, expected_version=1, reason="Checked source",
        birth_date=date(1970, 5, 18),
    )
    with pytest.raises(StaleVersion) as excinfo:
        services.patient_update(
            actor=coordinator, patient=world.patient_a1, expected_version=1,
            reason="My correction", consent_version="1.1",
        )
    conflict = excinfo.value
    assert conflict.instance.version == 2
    [entry] = conflict.changes
    assert entry.user_label.endswith(f"({other.username})")
    assert [(c.field, c.old, c.new) for c in entry.changes] == [
        ("birth_date", "1970-05-17", "1970-05-18")
    ]
    current = Patient.objects.get(pk=first.pk)
    assert current.birth_date == date(1970, 5, 18) and current.consent_version == "1.0"
    # Applying again on the current version works and keeps the first user's change.
    again = services.patient_update(
        actor=coordinator, patient=current, expected_version=2, reason="My correction",
        consent_version="1.1",
    )
    assert again.version == 3
    assert again.birth_date == date(1970, 5, 18) and again.consent_version == "1.1"


def test_record_update_validates_before_writing(world, coordinator):
    with pytest.raises(ValidationError):
        record_update(world.patient_a1, actor=coordinator, expected_version=1,
                      reason="bad", changes={"sex": "X"})
    assert Patient.objects.get(pk=world.patient_a1.pk).version == 1


def test_site_created_by_a_command_is_attributed_to_the_system_user(db):
    site = SiteFactory()
    [row] = site.history.all()
    assert row.history_type == "+" and row.history_user.username == "system"
