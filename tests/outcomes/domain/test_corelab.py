"""The imaging core lab's JSON document: parsing, evaluation output and every error code."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest

from outcomes.domain.corelab import CoreLabError, evaluate, parse
from outcomes.domain.recist import Baseline, FollowUp, NonTargetStatus

EXAMPLE = {
    "reference_date": "2026-01-05",
    "baseline": {
        "date": "2025-12-20",
        "targets": [{"id": "T1", "organ": "liver", "nodal": False, "diameter_mm": 50}],
        "nontargets": [{"id": "NT1", "organ": "bone"}],
    },
    "followups": [
        {
            "date": "2026-03-30",
            "targets": {"T1": 30},
            "nontargets": {"NT1": "PRESENT"},
            "new_lesions": "NO",
        }
    ],
}

EXAMPLE_OUTPUT = {
    "timepoints": [
        {
            "date": "2026-03-30",
            "sum_mm": 30,
            "partial_sum_mm": None,
            "nadir_mm": 50,
            "pct_change_from_baseline": -40.0,
            "pct_change_from_nadir": -40.0,
            "target": "PR",
            "nontarget": "NON-CR/NON-PD",
            "overall": "PR",
        }
    ],
    "best_overall_response": "PR",
    "first_pd_date": None,
}


def document(targets=None, nontargets=None, followups=None):
    """Return the example document with baseline lesions or follow-ups replaced."""
    doc = copy.deepcopy(EXAMPLE)
    if targets is not None:
        doc["baseline"]["targets"] = targets
    if nontargets is not None:
        doc["baseline"]["nontargets"] = nontargets
    if followups is not None:
        doc["followups"] = followups
    return doc


def target(lesion_id, mm, organ="liver", nodal=False):
    return {"id": lesion_id, "organ": organ, "nodal": nodal, "diameter_mm": mm}


def visit(when, targets, nontargets=None, new="NO"):
    return {
        "date": when,
        "targets": targets,
        "nontargets": {"NT1": "PRESENT"} if nontargets is None else nontargets,
        "new_lesions": new,
    }


def error_code(doc):
    with pytest.raises(CoreLabError) as info:
        evaluate(doc)
    return info.value.as_dict()["error"]["code"]


# --- the example ----------------------------------------------------------------------------


def test_example_gives_the_specified_output_when_confirmation_is_waived():
    assert evaluate(EXAMPLE, confirmation_required=False) == EXAMPLE_OUTPUT


def test_example_single_pr_is_unconfirmed_so_best_response_is_sd():
    # One PR 84 days after D1 with nothing 28 days later: RECIST 1.1 §4.6 reads it as SD.
    result = evaluate(EXAMPLE)
    assert result["timepoints"] == EXAMPLE_OUTPUT["timepoints"]
    assert result["best_overall_response"] == "SD"
    assert result["first_pd_date"] is None


def test_confirmed_pr_is_the_best_overall_response():
    doc = document(followups=[visit("2026-03-30", {"T1": 30}), visit("2026-04-27", {"T1": 30})])
    assert evaluate(doc)["best_overall_response"] == "PR"


def test_output_is_plain_json():
    result = evaluate(EXAMPLE)
    assert json.loads(json.dumps(result)) == result


def test_parse_returns_domain_objects():
    baseline, followups, reference_date = parse(EXAMPLE)
    assert isinstance(baseline, Baseline)
    assert baseline.date == date(2025, 12, 20)
    assert baseline.targets[0].diameter_mm == 50
    assert reference_date == date(2026, 1, 5)
    (followup,) = followups
    assert isinstance(followup, FollowUp)
    assert followup.targets["T1"] == 30
    assert followup.nontargets["NT1"] is NonTargetStatus.PRESENT


def test_subject_id_is_accepted_and_not_echoed():
    doc = document()
    doc["subject_id"] = "ICRG0201-AONE-0001"
    assert evaluate(doc, confirmation_required=False) == EXAMPLE_OUTPUT


# --- sums and percentages ---------------------------------------------------------------------


def test_float_diameters_keep_exact_values_so_51_to_35_7_is_pr():
    doc = document(targets=[target("T1", 51.0)], followups=[visit("2026-03-30", {"T1": 35.7})])
    (point,) = evaluate(doc)["timepoints"]
    assert point["sum_mm"] == 35.7
    assert point["nadir_mm"] == 51
    assert point["pct_change_from_baseline"] == -30.0
    assert point["target"] == "PR"


def test_sums_print_as_int_when_whole_and_with_decimals_otherwise():
    doc = document(
        targets=[target("T1", 20.5), target("T2", 19.5, organ="lung")],
        followups=[visit("2026-03-30", {"T1": 12.25, "T2": 10})],
    )
    (point,) = evaluate(doc)["timepoints"]
    assert point["nadir_mm"] == 40 and isinstance(point["nadir_mm"], int)
    assert point["sum_mm"] == 22.25


def test_percent_change_rounds_half_up_to_one_decimal():
    # 40 -> 44.9 is +12.25 % exactly; 40 -> 35.1 is -12.25 % (ties go away from zero).
    up = document(targets=[target("T1", 40)], followups=[visit("2026-03-30", {"T1": 44.9})])
    down = document(targets=[target("T1", 40)], followups=[visit("2026-03-30", {"T1": 35.1})])
    assert evaluate(up)["timepoints"][0]["pct_change_from_baseline"] == 12.3
    assert evaluate(down)["timepoints"][0]["pct_change_from_baseline"] == -12.3


def test_percent_change_of_a_third_is_rounded_for_display():
    doc = document(targets=[target("T1", 30)], followups=[visit("2026-03-30", {"T1": 20})])
    assert evaluate(doc)["timepoints"][0]["pct_change_from_baseline"] == -33.3


def test_change_from_nadir_uses_the_earlier_nadir_and_reports_first_pd():
    # 100 -> 50 (nadir) -> 60: +20 % from nadir and +10 mm is PD, though -40 % from baseline.
    doc = document(
        targets=[target("T1", 100)],
        followups=[visit("2026-02-16", {"T1": 50}), visit("2026-03-30", {"T1": 60})],
    )
    result = evaluate(doc)
    second = result["timepoints"][1]
    assert (second["nadir_mm"], second["pct_change_from_nadir"]) == (50, 20.0)
    assert second["pct_change_from_baseline"] == -40.0
    assert (second["target"], second["overall"]) == ("PD", "PD")
    assert result["first_pd_date"] == "2026-03-30"


def test_change_from_a_zero_nadir_is_null():
    doc = document(
        targets=[target("T1", 20)],
        nontargets=[],
        followups=[visit("2026-02-16", {"T1": 0}, {}), visit("2026-03-30", {"T1": 0}, {})],
    )
    second = evaluate(doc)["timepoints"][1]
    assert (second["nadir_mm"], second["pct_change_from_nadir"]) == (0, None)
    # No non-target lesion at baseline: the non-target response is "not applicable".
    assert (second["target"], second["nontarget"], second["overall"]) == ("CR", "NA", "CR")


def test_tstm_counts_five_mm_and_null_is_not_evaluated():
    doc = document(
        targets=[target("T1", 20), target("T2", 20, organ="lung")],
        followups=[visit("2026-03-30", {"T1": "TSTM", "T2": None})],
    )
    (point,) = evaluate(doc)["timepoints"]
    # RECIST 1.1 §4.4.2: with T2 not evaluated there is no sum; T1's 5 mm is a partial sum.
    assert (point["sum_mm"], point["partial_sum_mm"]) == (None, 5)
    assert point["pct_change_from_baseline"] is None
    assert (point["target"], point["overall"]) == ("NE", "NE")


def test_sum_is_null_when_any_target_is_not_assessed_and_partial_sum_is_apart():
    doc = document(
        targets=[target("T1", 50), target("T2", 50, organ="lung")],
        followups=[visit("2026-02-16", {"T1": 10, "T2": None}),
                   visit("2026-03-30", {"T1": 10, "T2": 8})],
    )
    first, second = evaluate(doc)["timepoints"]
    assert (first["sum_mm"], first["partial_sum_mm"], first["target"]) == (None, 10, "NE")
    # The partial 10 never becomes the nadir: 18 is compared with the baseline 100 (PR),
    # where a nadir of 10 would have made it PD (+80 %, +8 mm).
    assert (second["sum_mm"], second["partial_sum_mm"], second["nadir_mm"]) == (18, None, 100)
    assert second["target"] == "PR"


def test_target_read_ne_is_accepted_as_not_evaluated():
    with_ne = document(targets=[target("T1", 20), target("T2", 20, organ="lung")],
                       followups=[visit("2026-03-30", {"T1": 10, "T2": "NE"})])
    with_null = document(targets=[target("T1", 20), target("T2", 20, organ="lung")],
                         followups=[visit("2026-03-30", {"T1": 10, "T2": None})])
    assert evaluate(with_ne) == evaluate(with_null)
    (point,) = evaluate(with_ne)["timepoints"]
    assert (point["sum_mm"], point["partial_sum_mm"], point["target"]) == (None, 10, "NE")


def test_nontarget_response_is_na_without_nontarget_lesions_at_baseline():
    doc = document(nontargets=[], followups=[visit("2026-03-30", {"T1": 30}, {})])
    (point,) = evaluate(doc)["timepoints"]
    assert (point["target"], point["nontarget"], point["overall"]) == ("PR", "NA", "PR")


def test_nontarget_only_bone_disease_reads_non_cr_non_pd_never_sd():
    # RECIST 1.1 Table 2: non-target disease only, lesion present, no new lesion.
    doc = document(targets=[], followups=[visit("2026-03-30", {}, {"NT1": "PRESENT"})])
    result = evaluate(doc)
    (point,) = result["timepoints"]
    assert (point["target"], point["nontarget"], point["overall"]) == (
        None, "NON-CR/NON-PD", "NON-CR/NON-PD")
    assert result["best_overall_response"] == "NON-CR/NON-PD"


def test_nontarget_only_unconfirmed_cr_is_non_cr_non_pd_best_response():
    # All non-targets gone on day 84, never confirmed: Table 2 has no SD, so NON-CR/NON-PD.
    doc = document(targets=[], followups=[visit("2026-03-30", {}, {"NT1": "ABSENT"})])
    assert evaluate(doc)["best_overall_response"] == "NON-CR/NON-PD"


def test_new_lesion_reports_first_pd_date():
    doc = document(followups=[visit("2026-03-30", {"T1": 30}, new="YES")])
    result = evaluate(doc)
    assert result["timepoints"][0]["overall"] == "PD"
    assert result["first_pd_date"] == "2026-03-30"
    assert result["best_overall_response"] == "PD"


def test_nontarget_only_disease_has_null_target_and_sums():
    doc = document(targets=[], followups=[visit("2026-03-30", {}, {"NT1": "ABSENT"})])
    (point,) = evaluate(doc)["timepoints"]
    assert point == {
        "date": "2026-03-30",
        "sum_mm": None,
        "partial_sum_mm": None,
        "nadir_mm": None,
        "pct_change_from_baseline": None,
        "pct_change_from_nadir": None,
        "target": None,
        "nontarget": "CR",
        "overall": "CR",
    }


def test_overall_only_followup_is_used_as_given_without_sums():
    doc = document(
        followups=[visit("2026-03-30", {"T1": 30}), {"date": "2026-04-27", "overall": "PR"}]
    )
    result = evaluate(doc)
    assert result["timepoints"][1] == {
        "date": "2026-04-27",
        "sum_mm": None,
        "partial_sum_mm": None,
        "nadir_mm": None,
        "pct_change_from_baseline": None,
        "pct_change_from_nadir": None,
        "target": None,
        "nontarget": None,
        "overall": "PR",
    }
    assert result["best_overall_response"] == "PR"


def test_decisions_use_exact_values_not_rounded_percentages():
    # 100 -> 70.04 is -29.96 %, shown as -30.0 but still short of PR.
    doc = document(targets=[target("T1", 100)], followups=[visit("2026-03-30", {"T1": 70.04})])
    (point,) = evaluate(doc)["timepoints"]
    assert point["pct_change_from_baseline"] == -30.0
    assert point["target"] == "SD"


def test_parse_keeps_decimal_millimetres():
    doc = document(targets=[target("T1", 35.7)])
    baseline, _, _ = parse(doc)
    assert baseline.targets[0].diameter_mm == Decimal("35.7")


# --- errors ---------------------------------------------------------------------------------

SIX_ORGANS = ["liver", "lung", "kidney", "spleen", "bone", "brain"]


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        (
            document(targets=[target(f"T{i}", 20, organ=o) for i, o in enumerate(SIX_ORGANS)]),
            "TOO_MANY_TARGETS",
        ),
        (
            document(
                targets=[
                    target("T1", 20, organ="left lung"),
                    target("T2", 20, organ="right lung"),
                    target("T3", 20, organ="lung"),
                ]
            ),
            "TOO_MANY_PER_ORGAN",
        ),
        (
            document(
                targets=[
                    target("N1", 20, organ="neck", nodal=True),
                    target("N2", 20, organ="axilla", nodal=True),
                    target("N3", 20, organ="groin", nodal=True),
                ]
            ),
            "TOO_MANY_PER_ORGAN",
        ),
        (document(targets=[target("T1", 9.9)]), "NONNODAL_TOO_SMALL"),
        (document(targets=[target("T1", 14.9, organ="neck", nodal=True)]), "NODAL_TOO_SMALL"),
        (document(targets=[target("T1", -50)]), "NEGATIVE_DIAMETER"),
        (document(followups=[visit("2026-03-30", {"T1": -1})]), "NEGATIVE_DIAMETER"),
        (
            document(targets=[target("T1", 20), target("T1", 30, organ="lung")]),
            "DUPLICATE_LESION_ID",
        ),
        (
            document(nontargets=[{"id": "T1", "organ": "bone"}], followups=[]),
            "DUPLICATE_LESION_ID",
        ),
        (document(followups=[visit("2026-03-30", {"T9": 30})]), "UNKNOWN_LESION_ID"),
        (
            document(followups=[visit("2026-03-30", {"T1": 30}, {"NT7": "PRESENT"})]),
            "UNKNOWN_LESION_ID",
        ),
        (document(targets=[], nontargets=[]), "NO_DISEASE"),
        (document(followups=[visit("2025-12-20", {"T1": 30})]), "UNSORTED_DATES"),
        (
            document(followups=[visit("2026-03-30", {"T1": 30}), visit("2026-02-16", {"T1": 30})]),
            "UNSORTED_DATES",
        ),
    ],
)
def test_invalid_documents_give_their_error_code(doc, code):
    assert error_code(doc) == code


def _without(key, where=None):
    doc = document()
    (doc if where is None else doc[where]).pop(key)
    return doc


def _with(path, value):
    doc = document()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param([EXAMPLE], id="document-not-an-object"),
        pytest.param(_without("reference_date"), id="reference-date-missing"),
        pytest.param(_without("baseline"), id="baseline-missing"),
        pytest.param(_without("date", "baseline"), id="baseline-date-missing"),
        pytest.param(_with(["reference_date"], "2026-1-5"), id="date-not-iso"),
        pytest.param(_with(["reference_date"], "2026-02-30"), id="date-not-real"),
        pytest.param(_with(["reference_date"], "2026-01-05T09:00"), id="date-with-time"),
        pytest.param(_with(["baseline", "targets", 0, "diameter_mm"], "50"), id="size-as-text"),
        pytest.param(_with(["baseline", "targets", 0, "diameter_mm"], True), id="size-as-bool"),
        pytest.param(_with(["baseline", "targets", 0, "nodal"], "no"), id="nodal-not-bool"),
        pytest.param(_with(["baseline", "targets", 0, "organ"], ""), id="organ-empty"),
        pytest.param(_with(["baseline", "targets"], {"T1": 50}), id="targets-not-a-list"),
        pytest.param(_with(["baseline", "targets", 0], "T1"), id="target-not-an-object"),
        pytest.param(_with(["followups"], {}), id="followups-not-a-list"),
        pytest.param(_with(["followups", 0, "targets", "T1"], "30"), id="measurement-text"),
        pytest.param(_with(["followups", 0, "nontargets", "NT1"], "GONE"), id="bad-status"),
        pytest.param(_with(["followups", 0, "new_lesions"], "MAYBE"), id="bad-new-lesions"),
        pytest.param(
            document(followups=[{"date": "2026-03-30", "targets": {"T1": 30}}]),
            id="new-lesions-missing",
        ),
        pytest.param(
            document(followups=[{"date": "2026-03-30", "overall": "GREAT"}]), id="bad-overall"
        ),
        pytest.param(
            document(followups=[{"date": "2026-03-30", "overall": "PR", "targets": {"T1": 30}}]),
            id="overall-with-measurements",
        ),
    ],
)
def test_malformed_documents_are_invalid_value(doc):
    assert error_code(doc) == "INVALID_VALUE"


def test_error_gives_code_and_message_as_a_dict():
    with pytest.raises(CoreLabError) as info:
        evaluate(document(targets=[], nontargets=[]))
    error = info.value.as_dict()
    assert list(error) == ["error"]
    assert error["error"]["code"] == "NO_DISEASE"
    assert isinstance(error["error"]["message"], str) and error["error"]["message"]
