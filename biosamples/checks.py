"""Refuse to start when a protocol's sample plan does not match its visit schedule."""

from django.core import checks

from biosamples.domain.plan import validate_sample_plan
from trialsite.protocols import all_protocols


@checks.register()
def check_sample_plans(app_configs=None, **kwargs):
    return [
        checks.Error(f"{protocol.code}: {text}", id="biosamples.E001")
        for protocol in all_protocols()
        for text in validate_sample_plan(protocol.schedule, protocol.sample_plan)
    ]
