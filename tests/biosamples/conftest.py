"""A processed baseline liquid biopsy of the world's enrolled ICRG0201 patient, and a box."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from biosamples import services
from tests.visits.crf.test_services import enrolled_patient, visit_of
from trialsite.models import Role

LB = "liquid_biopsy"


def drawn_at(visit, hour=9):
    """A draw at ``hour`` local time on the visit's target day, at the site."""
    zone = ZoneInfo(visit.patient.site.time_zone)
    return datetime.combine(visit.target_date, datetime.min.time(), tzinfo=zone).replace(
        hour=hour)


def draw(visit, actor, **changes):
    values = {"drawn_at": drawn_at(visit), "drawn_by": "Nurse Salma", **changes}
    return services.sample_record_draw(actor=actor, visit=visit, sample_code=LB, **values)


def process(sample, actor, *, centrifuge_after=45, freeze_after=150, **changes):
    values = {
        "centrifuge_started_at": sample.drawn_at + timedelta(minutes=centrifuge_after),
        "frozen_at": sample.drawn_at + timedelta(minutes=freeze_after),
        "haemolysis": "none", "aliquot_count": 4, "aliquot_volume_ml": Decimal("0.5"),
        **changes,
    }
    return services.sample_process(actor=actor, sample=sample, **values)


@pytest.fixture
def patient(world):
    return enrolled_patient(world)


@pytest.fixture
def baseline(patient):
    return visit_of(patient, "BL")


@pytest.fixture
def processed(baseline, coordinator):
    sample = process(draw(baseline, coordinator), coordinator)
    return sample


@pytest.fixture
def box(world, coordinator):
    return services.storage_create(actor=coordinator, site=world.site_a1, freezer_name="F1",
                                   rack_name="R1", box_name="B1")


@pytest.fixture
def stored(processed, box, coordinator):
    """The four aliquots stored in A1..A4."""
    out = []
    for column, aliquot in enumerate(processed.created_aliquots, start=1):
        out.append(services.aliquot_store(actor=coordinator, aliquot=aliquot, box=box, row=1,
                                          column=column))
    return out


@pytest.fixture
def lab(world):
    return world.users[Role.CENTRAL_LAB]


def refresh(objs):
    return [type(o).objects.get(pk=o.pk) for o in objs]
