"""The aliquot and shipment lifecycles: which transitions are allowed, with a message for the rest.

An aliquot is created at processing, stored in a box position, put in a shipment (still in its
position, reserved), shipped (its position freed), then received, reported missing or damaged by
the laboratory, and consumed when its result is reported. A discarded or consumed aliquot is
finished: nothing happens to it again.
"""

from enum import StrEnum


class AliquotStatus(StrEnum):
    CREATED = "created"
    STORED = "stored"
    IN_SHIPMENT = "in_shipment"
    SHIPPED = "shipped"
    RECEIVED = "received"
    MISSING = "missing"
    DAMAGED = "damaged"
    CONSUMED = "consumed"
    DISCARDED = "discarded"


class ShipmentStatus(StrEnum):
    DRAFT = "draft"
    SHIPPED = "shipped"
    RECEIVED = "received"


class Receipt(StrEnum):
    RECEIVED = "received"
    MISSING = "missing"
    DAMAGED = "damaged"


class ArrivalCondition(StrEnum):
    FROZEN = "frozen"
    PARTLY_THAWED = "partly_thawed"
    THAWED = "thawed"


class TransitionRefused(Exception):
    """A status change the lifecycle does not allow; the message says why, for the user."""


A = AliquotStatus

#: action -> (statuses it may start from, status it leads to)
ALIQUOT_ACTIONS = {
    "store": ({A.CREATED, A.STORED}, A.STORED),
    "allocate": ({A.STORED}, A.IN_SHIPMENT),
    "release": ({A.IN_SHIPMENT}, A.STORED),
    "ship": ({A.IN_SHIPMENT}, A.SHIPPED),
    "receive": ({A.SHIPPED}, None),  # the receipt decides: received, missing or damaged
    "consume": ({A.RECEIVED}, A.CONSUMED),
    "discard": ({A.CREATED, A.STORED}, A.DISCARDED),
    # A split thaws the parent and divides it into children: the parent is used up.
    "split": ({A.CREATED, A.STORED}, A.CONSUMED),
}

_WHY = {
    ("store", A.IN_SHIPMENT): "it is in a shipment being prepared; remove it from the shipment "
                              "first",
    ("store", A.SHIPPED): "it has been shipped",
    ("store", A.CONSUMED): "it has been consumed by the analysis",
    ("store", A.DISCARDED): "it has been discarded",
    ("allocate", A.CREATED): "it is not in storage yet; store it in a box position first",
    ("allocate", A.IN_SHIPMENT): "it is already in a shipment",
    ("allocate", A.SHIPPED): "it has already been shipped",
    ("ship", A.STORED): "it is not in this shipment",
    ("receive", A.IN_SHIPMENT): "its shipment has not been shipped",
    ("consume", A.SHIPPED): "the laboratory has not received it yet",
    ("consume", A.MISSING): "the laboratory reported it missing",
    ("consume", A.DAMAGED): "the laboratory reported it damaged",
    ("consume", A.CONSUMED): "it already has a result",
    ("split", A.IN_SHIPMENT): "it is in a shipment being prepared",
    ("split", A.CONSUMED): "it has been used up",
}

_VERB = {"store": "stored", "allocate": "added to a shipment", "release": "taken out of a shipment",
         "ship": "shipped", "receive": "received", "consume": "given a result",
         "discard": "discarded", "split": "split"}


def aliquot_next_status(current, action, *, receipt=None):
    """The status an aliquot in ``current`` reaches by ``action``; refuse what is not allowed."""
    current = AliquotStatus(current)
    allowed, target = ALIQUOT_ACTIONS[action]
    if current not in allowed:
        why = _WHY.get((action, current), f"its status is {current.value.replace('_', ' ')}")
        raise TransitionRefused(f"This aliquot cannot be {_VERB[action]}: {why}.")
    if action == "receive":
        return {Receipt.RECEIVED: A.RECEIVED, Receipt.MISSING: A.MISSING,
                Receipt.DAMAGED: A.DAMAGED}[Receipt(receipt)]
    return target


def shipment_check(current, action):
    """Refuse a shipment step its status does not allow."""
    current = ShipmentStatus(current)
    if action in ("add", "remove", "ship") and current != ShipmentStatus.DRAFT:
        raise TransitionRefused(
            f"This shipment is {current.value}: its aliquots can no longer change, and it "
            "cannot be shipped again.")
    if action == "receive":
        if current == ShipmentStatus.DRAFT:
            raise TransitionRefused("This shipment has not been shipped yet.")
        if current == ShipmentStatus.RECEIVED:
            raise TransitionRefused("This shipment has already been received.")


def freeze_thaw_cycles_added(condition):
    """A partly or fully thawed arrival adds one freeze-thaw cycle (the aliquot refreezes)."""
    return 0 if ArrivalCondition(condition) == ArrivalCondition.FROZEN else 1


def receipt_discrepancies(receipts, condition):
    """What the site and the monitor must see about a receipt, as sentences (empty if none)."""
    out = []
    for kind in (Receipt.MISSING, Receipt.DAMAGED):
        labels = sorted(label for label, receipt in receipts.items() if Receipt(receipt) == kind)
        if labels:
            out.append(f"{len(labels)} aliquot(s) {kind.value}: {', '.join(labels)}")
    condition = ArrivalCondition(condition)
    if condition != ArrivalCondition.FROZEN:
        out.append(f"arrived {condition.value.replace('_', ' ')}")
    return out
