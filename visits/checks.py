"""Refuse to start when a protocol's visit schedule is inconsistent."""

from django.core import checks

from trialsite.protocols import all_protocols
from visits.domain.schedule import validate_schedule


@checks.register()
def check_schedules(app_configs=None, **kwargs):
    messages = []
    for protocol in all_protocols():
        if protocol.schedule is None:
            messages.append(checks.Error(f"{protocol.code}: no visit schedule declared",
                                         id="visits.E001"))
            continue
        for text in validate_schedule(protocol.schedule):
            messages.append(checks.Error(f"{protocol.code}: {text}", id="visits.E002"))
    return messages
