"""The visit page is made of the visits app's own cards plus panels that higher apps register.

Like the home sections and casebook panels: an app above ``visits`` (samples, for instance)
registers a panel from its ``AppConfig.ready()``, so the visit page shows it without importing it.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class VisitPanel:
    key: str
    title: str
    template: str
    order: int
    context: Callable  # (visit, patient, user) -> dict


_PANELS: dict[str, VisitPanel] = {}


def register(panel):
    _PANELS[panel.key] = panel


def panels_for(visit, patient, user):
    return [
        {"panel": panel, **panel.context(visit, patient, user)}
        for panel in sorted(_PANELS.values(), key=lambda p: p.order)
    ]
