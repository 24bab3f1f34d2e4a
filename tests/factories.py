"""factory-boy factories; every audited row is saved as the system user, like a seed would."""

from datetime import date

import factory

from enrollment import services as patient_services
from trialsite.audit import audited_save
from trialsite.models import Membership, Role, Site, Study, User
from trialsite.services import system_user


class AuditedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return audited_save(model_class(*args, **kwargs), actor=system_user())


class StudyFactory(AuditedFactory):
    class Meta:
        model = Study
        django_get_or_create = ("code",)

    code = "ICRG0201"
    registry_id = factory.LazyAttribute(
        lambda o: {"ICRG0201": "NCT05190094", "PALMARES-2": "NCT06805812"}[o.code]
    )
    title = factory.LazyAttribute(lambda o: f"{o.code} study")
    status = Study.Status.RECRUITING

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        existing = Study.objects.filter(code=kwargs["code"]).first()
        return existing or super()._create(model_class, *args, **kwargs)


class SiteFactory(AuditedFactory):
    class Meta:
        model = Site

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"TS{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Test hospital {o.code}")
    city = "Amman"
    country = "Jordan"
    time_zone = "Asia/Amman"
    target_enrolment = 10


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class MembershipFactory(AuditedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    study = factory.LazyAttribute(lambda o: o.site.study if o.site else StudyFactory())
    site = None
    role = Role.COORDINATOR


def grant(user, role, *, site=None, study=None, laboratory=None):
    """Grant ``role``; a central laboratory works for the protocol's first lab by default."""
    study = study or site.study
    if role == Role.CENTRAL_LAB and laboratory is None:
        try:
            plan = study.protocol.sample_plan
        except KeyError:
            plan = None
        laboratory = plan.labs[0].code if plan is not None else ""
    MembershipFactory(user=user, role=role, site=site, study=study, laboratory=laboratory or "")
    user.__dict__.pop("_trialsite_memberships", None)
    return user


def register_patient(site, *, actor=None, sex="F", birth_date=date(1970, 5, 17),
                     consent_date=date(2026, 1, 10), consent_version="1.0"):
    """A patient registered through the real service, by a coordinator of ``site``."""
    if actor is None:
        actor = site_coordinator(site)
    return patient_services.patient_register(
        actor=actor, site=site, sex=sex, birth_date=birth_date, consent_date=consent_date,
        consent_version=consent_version,
    )


def site_coordinator(site):
    user = User.objects.filter(
        memberships__site=site, memberships__role=Role.COORDINATOR,
        memberships__voided_at__isnull=True,
    ).first()
    if user is None:
        user = grant(UserFactory(username=f"coord-{site.code.lower()}"), Role.COORDINATOR,
                     site=site)
    return user


def site_investigator(site):
    user = User.objects.filter(
        memberships__site=site, memberships__role=Role.INVESTIGATOR,
        memberships__voided_at__isnull=True,
    ).first()
    if user is None:
        user = grant(UserFactory(username=f"inv-{site.code.lower()}"), Role.INVESTIGATOR,
                     site=site)
    return user


def screen(patient, *, actor=None, failing=False, incomplete=False, **changes):
    """Save a screening from the protocol's example candidate (dates moved to the consent)."""
    from eligibility import services as eligibility_services
    from eligibility.domain.screening import example_values

    values = example_values(patient.site.study.protocol, patient.consent_date, failing=failing,
                            incomplete=incomplete)
    values.update(changes)
    return eligibility_services.screening_save(
        actor=actor or site_coordinator(patient.site), patient=patient, values=values
    )


def enrol(patient, *, coordinator=None, today=None):
    """Screen, confirm (investigator's password) and enrol ``patient`` through the services;
    enrolment creates the visit schedule."""
    from eligibility import services as eligibility_services
    from visits import services as visit_services

    screening = screen(patient, actor=coordinator)
    investigator = site_investigator(patient.site)
    screening = eligibility_services.screening_confirm(
        actor=investigator, screening=screening, password="correct-horse-battery"
    )
    protocol = patient.site.study.protocol
    drug = protocol.drug(protocol.enrolment.cdk46i_drugs[0])
    enrolment = visit_services.enrol_with_schedule(
        actor=coordinator or site_coordinator(patient.site), screening=screening,
        cdk46i=drug.code, cdk46i_start_dose_mg=drug.starting_dose_mg,
        endocrine=protocol.enrolment.endocrine_drugs[0], today=today,
    )
    return enrolment.patient


def api_key(user, *, name="test script", expires_at=None):
    """A working API key of ``user``, stored hashed as the API access page stores it."""
    from trialsite.exports import tokens
    from trialsite.exports.models import ApiToken

    key = tokens.new_key()
    audited_save(ApiToken(user=user, name=name, prefix=tokens.shown_prefix(key),
                          key_hash=tokens.hash_key(key), expires_at=expires_at), actor=user)
    return key
