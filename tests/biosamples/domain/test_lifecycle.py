"""The aliquot and shipment lifecycles, without a database."""

import pytest

from biosamples.domain.lifecycle import (
    AliquotStatus as A,
)
from biosamples.domain.lifecycle import (
    TransitionRefused,
    aliquot_next_status,
    freeze_thaw_cycles_added,
    receipt_discrepancies,
    shipment_check,
)


@pytest.mark.parametrize("current,action,expected", [
    (A.CREATED, "store", A.STORED),
    (A.STORED, "store", A.STORED),  # a move within the site
    (A.STORED, "allocate", A.IN_SHIPMENT),
    (A.IN_SHIPMENT, "release", A.STORED),
    (A.IN_SHIPMENT, "ship", A.SHIPPED),
    (A.RECEIVED, "consume", A.CONSUMED),
    (A.STORED, "discard", A.DISCARDED),
])
def test_allowed_transitions(current, action, expected):
    assert aliquot_next_status(current, action) == expected


@pytest.mark.parametrize("receipt,expected", [
    ("received", A.RECEIVED), ("missing", A.MISSING), ("damaged", A.DAMAGED)])
def test_receipt_decides_the_status_after_shipping(receipt, expected):
    assert aliquot_next_status(A.SHIPPED, "receive", receipt=receipt) == expected


@pytest.mark.parametrize("current,action,words", [
    (A.CREATED, "allocate", "not in storage yet"),
    (A.SHIPPED, "allocate", "already been shipped"),
    (A.IN_SHIPMENT, "allocate", "already in a shipment"),
    (A.CONSUMED, "store", "consumed"),
    (A.IN_SHIPMENT, "store", "in a shipment"),
    (A.SHIPPED, "store", "shipped"),
    (A.MISSING, "consume", "missing"),
    (A.CONSUMED, "consume", "already has a result"),
    (A.STORED, "ship", "not in this shipment"),
    (A.RECEIVED, "receive", "received"),
])
def test_refused_transitions_say_why(current, action, words):
    with pytest.raises(TransitionRefused, match=words):
        aliquot_next_status(current, action)


def test_only_a_draft_shipment_changes_or_ships():
    shipment_check("draft", "add")
    shipment_check("draft", "ship")
    for status in ("shipped", "received"):
        for action in ("add", "remove", "ship"):
            with pytest.raises(TransitionRefused, match="cannot be shipped again"):
                shipment_check(status, action)


def test_a_shipment_is_received_once_and_only_after_shipping():
    shipment_check("shipped", "receive")
    with pytest.raises(TransitionRefused, match="already been received"):
        shipment_check("received", "receive")
    with pytest.raises(TransitionRefused, match="not been shipped"):
        shipment_check("draft", "receive")


def test_a_thawed_arrival_adds_one_freeze_thaw_cycle():
    assert freeze_thaw_cycles_added("frozen") == 0
    assert freeze_thaw_cycles_added("partly_thawed") == 1
    assert freeze_thaw_cycles_added("thawed") == 1


def test_discrepancies_list_missing_damaged_and_thawing():
    text = receipt_discrepancies({"X-02": "missing", "X-01": "received", "X-03": "damaged"},
                                 "partly_thawed")
    assert text == ["1 aliquot(s) missing: X-02", "1 aliquot(s) damaged: X-03",
                    "arrived partly thawed"]
    assert receipt_discrepancies({"X-01": "received"}, "frozen") == []
