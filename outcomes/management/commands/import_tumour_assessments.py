"""Import a core-lab RECIST 1.1 document: the baseline and every follow-up, all or nothing.

    python manage.py import_tumour_assessments reads.json --as USERNAME   # or - for stdin

The document is the one ``recist_assess`` reads, with ``subject_id`` naming the patient. It is
checked whole first (RECIST 1.1 through ``outcomes.domain.corelab.parse``, then the patient and
their state); then the baseline and each follow-up are saved through the outcomes services in
one transaction, as the given user (a coordinator or investigator of the patient's site). Every
record the import creates carries "Imported from core-lab file <name> sha256:<hex>" as its
reason in the audit trail. A follow-up giving only an ``overall`` response (assessed elsewhere)
is stored as a reported response, without lesion readings. Progression found in the file is
recorded as the services do (later visits cancelled, end of treatment scheduled).

Success prints a JSON summary; any refusal saves nothing, prints
{"error": {"code": ..., "message": ...}} and exits with status 2.
"""

import contextvars
import hashlib
import json
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models.signals import post_init

from enrollment.models import Enrolment, Patient
from outcomes import selectors, services
from outcomes.domain.corelab import CoreLabError, parse
from outcomes.domain.recist import ErrorCode
from outcomes.models import (
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from trialsite import access
from trialsite.models import User

#: The records an import creates; each new one is given the import's reason for its history.
IMPORTED_MODELS = (TargetLesion, NonTargetLesion, TumourAssessment, TargetMeasurement,
                   NonTargetStatus)

_import_reason = contextvars.ContextVar("outcomes_import_reason", default=None)


def _tag_new_record(sender, instance, **kwargs):
    """Give a record created during an import the import's reason (read by simple-history,
    for single and bulk creations alike). Records loaded from the database keep theirs."""
    reason = _import_reason.get()
    if reason is not None and instance.pk is None:
        instance._change_reason = reason


@contextmanager
def _reason_for_new_records(reason):
    token = _import_reason.set(reason)
    for model in IMPORTED_MODELS:
        post_init.connect(_tag_new_record, sender=model, weak=False,
                          dispatch_uid=f"outcomes-import-{model.__name__}")
    try:
        yield
    finally:
        for model in IMPORTED_MODELS:
            post_init.disconnect(sender=model, dispatch_uid=f"outcomes-import-{model.__name__}")
        _import_reason.reset(token)


class ImportRefused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = str(code)
        self.message = message


def _refuse(message):
    return ImportRefused(ErrorCode.INVALID_VALUE, message)


def _messages(error):
    """A service's ValidationError as one line: ``field: message; ...``."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{'' if key == '__all__' else key + ': '}{' '.join(msgs)}"
                         for key, msgs in error.message_dict.items())
    return " ".join(error.messages)


def _same_baseline(lesions, baseline):
    stored = {(t.lesion_id, t.organ, t.nodal, t.diameter_mm, t.baseline_date)
              for t in lesions["targets"]}
    stored_nt = {(n.lesion_id, n.organ or "", n.baseline_date) for n in lesions["nontargets"]}
    given = {(t.id, t.organ, t.nodal, t.diameter_mm, baseline.date) for t in baseline.targets}
    given_nt = {(n.id, n.organ or "", baseline.date) for n in baseline.nontargets}
    return stored == given and stored_nt == given_nt


class Command(BaseCommand):
    help = ("Import a core-lab RECIST 1.1 JSON document (baseline and follow-ups) for the "
            "patient it names, in one transaction.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file, or - for standard input")
        parser.add_argument("--as", dest="username", required=True,
                            help="the coordinator or investigator the data is entered as")

    def handle(self, *args, file, username, **options):
        try:
            summary = self._import(file, username)
        except ImportRefused as exc:
            self._fail(exc.code, exc.message)
        except CoreLabError as exc:
            self._fail(exc.code, exc.message)
        else:
            self.stdout.write(json.dumps(summary, indent=2))

    def _fail(self, code, message):
        self.stdout.write(json.dumps({"error": {"code": str(code), "message": message}}))
        sys.exit(2)

    # --- reading and checking -------------------------------------------------------------

    def _read(self, file):
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise _refuse(f"cannot read {file}: {exc.strerror}") from None
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise _refuse("the file is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise _refuse(f"not JSON: {exc.msg} at line {exc.lineno}") from None
        name = "<stdin>" if file == "-" else Path(file).name
        return document, name, hashlib.sha256(raw).hexdigest()

    def _import(self, file, username):
        document, name, sha256 = self._read(file)
        baseline, followups, reference_date = parse(document)  # CoreLabError on bad input
        subject_id = document.get("subject_id")
        if not subject_id:
            raise _refuse("document.subject_id is missing: the import needs the patient")
        raw_followups = document.get("followups") or []

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise _refuse(f"unknown user {username!r}")
        patient = (Patient.objects.select_related("site__study")
                   .filter(subject_id=subject_id).first())
        if patient is None:
            raise _refuse(f"unknown subject {subject_id!r}")
        if not access.can_enter_data(user, patient.site):
            raise _refuse(f"{username} is not a coordinator or investigator of site "
                          f"{patient.site.code}, where {subject_id} is followed")
        if patient.is_voided:
            raise _refuse(f"{subject_id} is voided")
        enrolment = Enrolment.objects.filter(patient=patient).first()
        if enrolment is None:
            raise _refuse(f"{subject_id} is not enrolled")
        if reference_date != enrolment.day1:
            raise _refuse(f"document.reference_date {reference_date:%Y-%m-%d} is not "
                          f"{subject_id}'s day 1 ({enrolment.day1:%Y-%m-%d})")
        window = patient.site.study.protocol.response.baseline_window_days
        earliest = enrolment.day1 - timedelta(days=window)
        if baseline.date < earliest:
            raise _refuse(f"baseline.date {baseline.date:%Y-%m-%d} is more than "
                          f"{window} days before day 1 "
                          f"({enrolment.day1:%Y-%m-%d}); the earliest is {earliest:%Y-%m-%d}")

        lesions = selectors.baseline_lesions(patient)
        has_baseline = bool(lesions["targets"] or lesions["nontargets"])
        if has_baseline and not _same_baseline(lesions, baseline):
            raise _refuse(f"{subject_id} already has a different baseline recorded; "
                          "correcting a baseline is not supported")

        stored_dates = set(TumourAssessment.objects.active().filter(patient=patient)
                           .values_list("assessment_date", flat=True))
        seen = set()
        for index, followup in enumerate(followups):
            where = f"followups[{index}]"
            if followup.date in seen:
                raise _refuse(f"{where}.date {followup.date:%Y-%m-%d} appears twice")
            seen.add(followup.date)
            if followup.date in stored_dates:
                raise _refuse(f"{where}.date: an assessment is already recorded on "
                              f"{followup.date:%Y-%m-%d} for {subject_id}")
            if followup.date <= baseline.date:
                raise _refuse(f"{where}.date {followup.date:%Y-%m-%d} is not after the "
                              f"baseline ({baseline.date:%Y-%m-%d})")
            site_of_new = raw_followups[index].get("new_lesion_site")
            if followup.overall is None and str(followup.new_lesions) == "YES" and not (
                    isinstance(site_of_new, str) and site_of_new.strip()):
                raise _refuse(f"{where} reports new lesions: new_lesion_site must say where")

        # --- saving: one transaction, every record through the services ------------------
        reason = f"Imported from core-lab file {name} sha256:{sha256}"
        try:
            with transaction.atomic(), _reason_for_new_records(reason):
                if not has_baseline:
                    services.baseline_record(
                        actor=user, patient=patient, date=baseline.date,
                        targets=[{"lesion_id": t.id, "organ": t.organ, "nodal": t.nodal,
                                  "diameter_mm": t.diameter_mm} for t in baseline.targets],
                        nontargets=[{"lesion_id": n.id, "organ": n.organ or ""}
                                    for n in baseline.nontargets])
                for index, followup in enumerate(followups):
                    # Each read joins the scheduled visit whose window holds its date (that
                    # visit's tumour assessment is then entered); otherwise it is unscheduled.
                    visit = selectors.visit_for_assessment(patient, followup.date)
                    try:
                        if followup.overall is not None:
                            # Only an overall response assessed elsewhere: stored as reported.
                            services.assessment_record(
                                actor=user, patient=patient, visit=visit, date=followup.date,
                                reported_response=str(followup.overall))
                            continue
                        services.assessment_record(
                            actor=user, patient=patient, visit=visit, date=followup.date,
                            measurements=dict(followup.targets),
                            statuses={key: str(value)
                                      for key, value in followup.nontargets.items()},
                            new_lesions=str(followup.new_lesions),
                            new_lesion_site=raw_followups[index].get("new_lesion_site") or "")
                    except ValidationError as error:
                        raise _refuse(f"followups[{index}]: {_messages(error)}") from None
        except ValidationError as error:
            raise _refuse(f"baseline: {_messages(error)}") from None
        except PermissionDenied as error:
            raise _refuse(str(error)) from None

        working = selectors.working(patient)
        enrolment.refresh_from_db()
        return {
            "subject_id": patient.subject_id,
            "baseline_date": baseline.date.isoformat(),
            "visits": [a.visit.code if a.visit else None
                       for a in selectors.assessments_of(patient)
                       if a.assessment_date in seen],
            "baseline_recorded": not has_baseline,
            "followups": len(followups),
            "best_overall_response": working["best"],
            "progression_date": (enrolment.progression_date.isoformat()
                                 if enrolment.progression_date else None),
            "sha256": sha256,
        }
