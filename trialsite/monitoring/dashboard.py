"""The operations dashboard: counts from the registered sources, and monitoring's own."""

from django.db.models import Q
from django.utils import timezone

from trialsite.monitoring import charts, registry, selectors
from trialsite.monitoring.domain import metrics
from trialsite.monitoring.models import Query


def _merged(study, sites):
    data = {}
    for source in registry.dashboard_sources():
        data.update(source(study, sites))
    return data


def dashboard(study, sites, *, all_sites=True):
    data = _merged(study, sites)
    target = (study.protocol.target_enrolment if all_sites
              else sum(s.target_enrolment for s in sites))
    series = metrics.cumulative(data.get("enrolment_dates", []))
    failures = data.get("screen_failures_by_criterion", {})
    screened = data.get("screened", 0)
    eligible = data.get("eligible", 0)
    enrolled = data.get("enrolled", 0)
    treated = data.get("on_treatment", 0)
    evaluable = data.get("evaluable", 0)
    analysed = data.get("analysed", 0)
    stages = [
        ("Screened", screened, {"screen failed": data.get("screen_failed", 0),
                                "still screening": data.get("screening_now", 0)}),
        ("Eligible", eligible, {"not enrolled yet": max(eligible - enrolled, 0)}),
        ("Enrolled", enrolled, {"not started treatment": max(enrolled - treated, 0)}),
        ("On treatment", treated, {"no baseline tumour assessment":
                                   max(treated - evaluable, 0)}),
        ("Evaluable for response", evaluable, data.get("not_analysed_reasons", {})),
        ("Analysed", analysed, {}),
    ]
    compliance = data.get("visit_compliance", {})
    compliance_items = [("on time", compliance.get("on_time", 0)),
                        ("late", compliance.get("late", 0)),
                        ("early", compliance.get("early", 0)),
                        ("missed", compliance.get("missed", 0)),
                        ("overdue", compliance.get("overdue", 0))]
    today = timezone.now().date()
    open_queries = Query.objects.filter(site__in=sites).filter(~Q(status=Query.Status.CLOSED))
    ages = metrics.ages_by_bucket(selectors.age_days(c, today)
                                  for c in open_queries.values_list("created_at", flat=True))
    progress = selectors.sdv_progress([s.pk for s in sites])
    sdv_rows = [(s, *progress.get(s.pk, (0, 0)), metrics.percent(*progress.get(s.pk, (0, 0))))
                for s in sites]
    verified = sum(v for _, v, _, _ in sdv_rows)
    total = sum(t for _, _, t, _ in sdv_rows)
    samples = data.get("sample_pipeline")
    return {
        "target": target, "enrolled": enrolled,
        "enrolment_svg": charts.enrolment_chart(series, target),
        "failures": failures,
        "failures_svg": charts.bar_chart(list(failures.items())[:12],
                                         title="Screen failures by criterion"),
        "stages": stages, "flow_svg": charts.flow_chart(stages),
        "compliance": compliance_items,
        "compliance_svg": charts.bar_chart(compliance_items, title="Visit compliance",
                                           colours=charts.COMPLIANCE_COLOURS),
        "query_ages": ages,
        "queries_svg": charts.bar_chart(list(ages.items()), title="Open queries by age"),
        "sdv_rows": sdv_rows, "sdv_percent": metrics.percent(verified, total),
        "samples": samples,
        "samples_svg": (charts.bar_chart(list(samples.items()), title="Sample pipeline")
                        if samples else ""),
    }
