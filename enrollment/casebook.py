"""The casebook page is made of panels; apps above ``enrollment`` register theirs in ready()."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CasebookPanel:
    key: str
    title: str
    template: str
    order: int
    context: Callable  # (patient, user) -> dict


_PANELS: dict[str, CasebookPanel] = {}


def register(panel):
    _PANELS[panel.key] = panel


def panels_for(patient, user):
    """The panels of ``patient``'s casebook; a panel whose context is None does not apply to
    the patient's study and is left out."""
    items = []
    for panel in sorted(_PANELS.values(), key=lambda p: p.order):
        context = panel.context(patient, user)
        if context is not None:
            items.append({"panel": panel, **context})
    return items
