"""What monitoring reads of screenings: eligibility and screen failures by criterion."""

from collections import Counter

from eligibility.domain.engine import Verdict
from eligibility.models import Screening


def dashboard_counts(study, sites):
    screenings = Screening.objects.active().filter(patient__site__in=sites,
                                                   patient__voided_at__isnull=True)
    failures = Counter()
    eligible = 0
    for verdict, failed, failed_at in screenings.values_list("verdict", "failed_criteria",
                                                             "screen_failed_at"):
        if verdict == Verdict.ELIGIBLE:
            eligible += 1
        if failed_at is not None:
            failures.update(failed or ["(unspecified)"])
    return {"eligible": eligible, "screen_failures_by_criterion": dict(failures.most_common()),
            "screen_failed": screenings.filter(screen_failed_at__isnull=False).count()}


def register():
    from trialsite.monitoring import registry

    registry.register_dashboard_source(dashboard_counts)
