"""Demo monitoring activity: a few queries in each status, SDV marks and a signed casebook.

Monitoring sits low in the app order, but its demo needs the patients and visit forms that the
apps above enter, so it works in ``seed_late`` (``seed_demo`` calls it after every ``seed``).
Safe to run again: nothing is added when the demo queries exist.
"""

from trialsite.models import Role, User
from trialsite.monitoring import registry, services
from trialsite.monitoring.models import Query

SITE = "JOKHC"


def seed(context):
    """Nothing before the clinical data exist; see ``seed_late``."""


def _records(model_label, site_code, limit):
    from django.apps import apps

    model = apps.get_model(model_label)
    scope = registry.scope_of(model)
    return list(model.objects.active().filter(**{f"{scope.site}__code": site_code})
                .order_by("pk")[:limit])


def seed_late(context):
    if Query.objects.filter(check_code="", site__code=SITE).exists():
        return
    monitor = User.objects.filter(username="monitor").first()
    coordinator = User.objects.filter(username="coordinator").first()
    if monitor is None or coordinator is None:
        return
    vitals = _records("visits.VitalSigns", SITE, 4)
    labs = _records("visits.Haematology", SITE, 2)
    if len(vitals) < 3:
        return
    services.query_open(actor=monitor, record=vitals[0], field_name="temperature_c",
                        text="Source note gives 37.4 °C: please check the temperature.")
    answered = services.query_open(actor=monitor, record=vitals[1], field_name="height_cm",
                                   text="Height differs from the baseline note: please confirm.")
    services.query_answer(actor=coordinator, query=answered,
                          text="Confirmed against the clinic chart: the entry is correct.")
    closed = services.query_open(actor=monitor, record=labs[0] if labs else vitals[2],
                                 text="Laboratory report not filed in the source binder.")
    services.query_answer(actor=coordinator, query=closed,
                          text="Report filed on the same day, binder page 12.")
    services.query_close(actor=monitor, query=closed, text="Seen at the visit: thank you.")
    # SDV: every form of two baseline visits.
    from trialsite.monitoring.selectors import visit_records

    visit_model = registry.visit_model()
    visits = list(visit_model.objects.filter(patient__site__code=SITE, code="BL")
                  .exclude(entered_forms=[]).order_by("pk")[:2])
    for visit in visits:
        services.sdv_mark(actor=monitor, records=visit_records(visit))
    # One casebook signed by the site's investigator.
    staff = context.get("site_staff", {}).get(SITE, {})
    investigator = staff.get(Role.INVESTIGATOR)
    if visits and investigator:
        user, password = investigator
        services.casebook_sign(actor=user, patient=visits[0].patient, password=password)
    context["stdout"].write("Monitoring demo: 3 queries (open, answered, closed), "
                            f"SDV of {len(visits)} baseline visits, 1 signed casebook.")
