"""What monitoring reads of tumour assessments: who is evaluable for response and analysed."""

from outcomes.models import NonTargetLesion, TargetLesion, TumourAssessment


def dashboard_counts(study, sites):
    """Evaluable: a baseline tumour assessment; analysed: also a follow-up with a response
    other than not evaluable (CONSORT's last two boxes)."""
    baseline = set(TargetLesion.objects.active().filter(patient__site__in=sites)
                   .values_list("patient_id", flat=True))
    baseline |= set(NonTargetLesion.objects.active().filter(patient__site__in=sites)
                    .values_list("patient_id", flat=True))
    followed = set(
        TumourAssessment.objects.active().filter(patient__site__in=sites)
        .exclude(computed_response__in=("", "NE"), reported_response__in=("", "NE"))
        .values_list("patient_id", flat=True)
    )
    return {"evaluable": len(baseline), "analysed": len(baseline & followed),
            "not_evaluable_reasons": {}, "not_analysed_reasons": {
                "no evaluable follow-up assessment yet": len(baseline - followed)}}


def register():
    from trialsite.monitoring import registry

    registry.register_dashboard_source(dashboard_counts)
