"""Labels, box positions, and the sample plan check against the declared protocols."""

import dataclasses

import pytest

from biosamples.domain.labels import aliquot_label, parse_position, position_name
from biosamples.domain.plan import validate_sample_plan
from trialsite.protocols import all_protocols, get_protocol


def test_labels_are_readable_and_children_extend_their_parent():
    label = aliquot_label(subject_id="JOKHC-001", visit_code="M3", label_code="LB", number=2)
    assert label == "JOKHC-001-M3-LB-02"
    assert aliquot_label(subject_id="", visit_code="", label_code="", number=1,
                         parent_label=label) == "JOKHC-001-M3-LB-02.1"


def test_positions_round_trip_and_stay_in_the_box():
    assert position_name(1, 1) == "A1" and position_name(9, 9) == "I9"
    assert parse_position(" b7 ", rows=9, columns=9) == (2, 7)
    for bad in ("J1", "A10", "7B", "", "A0"):
        with pytest.raises(ValueError):
            parse_position(bad, rows=9, columns=9)


def test_declared_protocols_have_consistent_sample_plans():
    for protocol in all_protocols():
        assert validate_sample_plan(protocol.schedule, protocol.sample_plan) == []


def test_icrg0201_limits_are_the_protocols():
    sample_type = get_protocol("ICRG0201").sample_plan.sample_type("liquid_biopsy")
    assert (sample_type.max_draw_to_centrifuge_minutes, sample_type.max_draw_to_freeze_minutes,
            sample_type.default_aliquot_count, str(sample_type.default_aliquot_volume_ml),
            sample_type.tube_type) == (120, 240, 4, "0.5", "10 mL K2-EDTA")
    assert {lab.code for lab in get_protocol("ICRG0201").sample_plan.labs} == {"QOLAB", "RAMAN"}


def test_a_schedule_naming_an_undeclared_sample_is_refused():
    protocol = get_protocol("ICRG0201")
    plan = protocol.sample_plan
    assert validate_sample_plan(protocol.schedule, None) == [
        "visits expect samples ['liquid_biopsy'] but no sample plan is declared"]
    empty = dataclasses.replace(plan, sample_types=())
    assert ("visits expect sample 'liquid_biopsy', which the sample plan does not declare"
            in validate_sample_plan(protocol.schedule, empty))
    inverted = dataclasses.replace(plan, sample_types=(dataclasses.replace(
        plan.sample_types[0], max_draw_to_freeze_minutes=60),))
    assert any("freezing limit is shorter" in e
               for e in validate_sample_plan(protocol.schedule, inverted))
    no_lab = dataclasses.replace(plan, labs=())
    assert any("no destination laboratory" in e
               for e in validate_sample_plan(protocol.schedule, no_lab))
