"""Study efficacy report: load every visible enrolled patient at once, then compute.

``study_endpoints`` reads in a constant number of queries whatever the number of patients
(patients with site, enrolment; target lesions; non-target lesions; assessments; their
measurements; their non-target statuses) and hands the pure ``outcomes.domain`` functions their
inputs. Nothing here writes.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import Prefetch

from enrollment.domain.lifecycle import age_in_years
from enrollment.models import Patient
from enrollment.selectors import enrolled_patients
from outcomes import plots, stats
from outcomes.domain import recist
from outcomes.domain.endpoints import (
    EARLY_PROGRESSION_DAYS,
    PfsReason,
    compute_endpoints,
    not_evaluable_reason,
)
from outcomes.models import (
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from outcomes.selectors import followup_input
from trialsite.responses import PatientResponse


@dataclass(frozen=True)
class PatientReport:
    """One patient's inputs and endpoints (``endpoints`` None when ``error`` says why)."""

    patient: object
    day1: date
    baseline: object  # recist.Baseline or None
    timepoints: tuple
    endpoints: object  # PatientEndpoints or None
    error: str | None = None

    @property
    def subject_id(self):
        return self.patient.subject_id

    @property
    def site_code(self):
        return self.patient.site.code

    @property
    def measurable(self):
        """Measurable disease at baseline: the response-evaluable population."""
        return self.baseline is not None and bool(self.baseline.targets)

    @property
    def not_evaluable_reason(self):
        """Why the best overall response is NE (the patient counts as a non-responder), or
        None when it is not."""
        if self.error is not None:
            return f"the assessments cannot be evaluated: {self.error}"
        if self.endpoints is None:
            return "no endpoints could be computed"
        options = self.patient.site.study.protocol.response.bor_options()
        return not_evaluable_reason(
            self.timepoints, self.day1, self.endpoints.best_overall_response,
            has_baseline=self.baseline is not None, min_sd_days=options["min_sd_days"])

    @property
    def best_pct_change(self):
        """The largest shrinkage (or smallest growth) of the target sum from baseline."""
        changes = [p.pct_change_from_baseline for p in self.timepoints
                   if p.pct_change_from_baseline is not None]
        return float(min(changes)) if changes else None

    def day(self, when):
        return (when - self.day1).days if when is not None else None

    @property
    def last_day(self):
        """Days on study as known: the latest assessment, progression, PFS date or death."""
        days = [self.day(p.date) for p in self.timepoints]
        if self.endpoints is not None:
            days.append(self.endpoints.pfs.days)
        days.append(self.day(self.patient.death_date))
        days.append(self.day(getattr(self.patient.enrolment, "progression_date", None)))
        return max([d for d in days if d is not None] or [0])

    @property
    def first_response_day(self):
        for point in self.timepoints:
            if point.overall in (recist.Response.CR, recist.Response.PR):
                return self.day(point.date)
        return None


def _with_recorded_progression(endpoints, progression_date, day1):
    """PFS ends at the recorded progression (clinical included) if it comes first."""
    if endpoints is None or progression_date is None:
        return endpoints
    pfs = endpoints.pfs
    if pfs.event and pfs.date <= progression_date:
        return endpoints
    days = (progression_date - day1).days
    return replace(endpoints, pfs=replace(pfs, days=days, event=True, date=progression_date,
                                          reason=PfsReason.PROGRESSION))


def _baseline(targets, nontargets):
    if not targets and not nontargets:
        return None
    return recist.Baseline(
        date=min(lesion.baseline_date for lesion in (*targets, *nontargets)),
        targets=[recist.TargetLesion(id=t.lesion_id, organ=t.organ, diameter_mm=t.diameter_mm,
                                     nodal=t.nodal) for t in targets],
        nontargets=[recist.NonTargetLesion(id=n.lesion_id, organ=n.organ or None)
                    for n in nontargets],
    )


def visible_patients(user, *, study=None, site=None):
    """Enrolled patients the user may see (``enrollment.selectors.enrolled_patients``, the
    one definition every page counts), with site, study and enrolment."""
    return list(enrolled_patients(user=user, study=study, site=site))


def study_endpoints(user, *, study=None, site=None):
    """``PatientReport`` of every visible enrolled patient of ``study`` (optionally ``site``)."""
    return reports_of(visible_patients(user, study=study, site=site))


def reports_of(patients):
    """``PatientReport`` of each of ``patients`` (loaded with site, study and enrolment)."""
    if not patients:
        return []
    ids = [p.pk for p in patients]
    targets, nontargets, assessments = defaultdict(list), defaultdict(list), defaultdict(list)
    for lesion in TargetLesion.objects.active().filter(patient_id__in=ids).order_by("id"):
        targets[lesion.patient_id].append(lesion)
    for lesion in NonTargetLesion.objects.active().filter(patient_id__in=ids).order_by("id"):
        nontargets[lesion.patient_id].append(lesion)
    rows = (TumourAssessment.objects.active().filter(patient_id__in=ids)
            .prefetch_related(
                Prefetch("measurements", TargetMeasurement.objects.select_related("lesion")
                         .order_by("lesion_id")),
                Prefetch("statuses", NonTargetStatus.objects.select_related("lesion")
                         .order_by("lesion_id")))
            .order_by("patient_id", "assessment_date"))
    for assessment in rows:
        assessments[assessment.patient_id].append(assessment)

    reports = []
    for patient in patients:
        enrolment = patient.enrolment
        baseline = _baseline(targets[patient.pk], nontargets[patient.pk])
        timepoints, endpoints, error = (), None, None
        try:
            if baseline is not None:
                timepoints = tuple(recist.assess(
                    baseline, [followup_input(a) for a in assessments[patient.pk]]))
            endpoints = compute_endpoints(
                timepoints, enrolment.day1, death_date=patient.death_date,
                progression_date=enrolment.progression_date,
                target_disease=baseline is None or bool(baseline.targets),
                **patient.site.study.protocol.response.bor_options())
        except recist.RecistError as exc:
            error = exc.message
        endpoints = _with_recorded_progression(endpoints, enrolment.progression_date,
                                               enrolment.day1)
        reports.append(PatientReport(patient=patient, day1=enrolment.day1, baseline=baseline,
                                     timepoints=timepoints, endpoints=endpoints, error=error))
    return reports


def study_responses(study):
    """Every enrolled patient's response, study-wide (``trialsite.responses`` provider: the
    caller has checked the study-wide role that entitles it)."""
    patients = list(Patient.objects.active().filter(enrolment__isnull=False, site__study=study)
                    .select_related("site", "site__study", "enrolment")
                    .order_by("site__code", "subject_number"))
    out = []
    for report in reports_of(patients):
        e = report.endpoints
        responder = early = None
        bor = ""
        if e is not None:
            bor = str(e.best_overall_response)
            if report.measurable and e.best_overall_response != recist.Response.NE:
                responder = bool(e.objective_response)
            if e.pfs.event and e.pfs.days <= EARLY_PROGRESSION_DAYS:
                early = True
            elif e.pfs.days > EARLY_PROGRESSION_DAYS:
                early = False
        out.append(PatientResponse(
            patient_id=report.patient.pk, subject_id=report.subject_id,
            site_code=report.site_code,
            age_years=age_in_years(report.patient.birth_date, report.day1),
            best_overall_response=bor, responder=responder, early_progression=early))
    return out


def endpoint_row(report):
    """The per-patient endpoints as the API and the table give them."""
    e = report.endpoints
    return {
        "subject_id": report.subject_id,
        "site": report.site_code,
        "bor": str(e.best_overall_response) if e else None,
        "objective_response": e.objective_response if e else None,
        "clinical_benefit": e.clinical_benefit if e else None,
        "objective_clinical_benefit": e.objective_clinical_benefit if e else None,
        "early_progression": e.early_progression if e else None,
        "pfs_days": e.pfs.days if e else None,
        "pfs_event": e.pfs.event if e else None,
    }


@dataclass(frozen=True)
class ResponseRates:
    """ORR and CBR over one population; everyone in it counts, a patient without an
    evaluable response as a non-responder."""

    key: str
    label: str
    patients: int
    orr: stats.Proportion
    cbr: stats.Proportion


def _rates(key, label, members, level):
    def count(attribute):
        return sum(bool(r.endpoints and getattr(r.endpoints, attribute)) for r in members)

    return ResponseRates(key=key, label=label, patients=len(members),
                         orr=stats.clopper_pearson(count("objective_response"), len(members),
                                                   level),
                         cbr=stats.clopper_pearson(count("clinical_benefit"), len(members),
                                                   level))


def response_rates(reports, plan, *, level=0.95):
    """The protocol's population first (all enrolled: intent to treat), then the subset with
    measurable disease at baseline, as a second, labelled row."""
    population = (f"{plan.population}: {plan.population_definition}" if plan is not None
                  else "All enrolled patients")
    if plan is not None and not plan.population_from_protocol:
        population += " (assumption: the registry text defines no analysis population)"
    measurable = [r for r in reports if r.measurable]
    return [
        _rates("itt", population, reports, level),
        _rates("measurable", "Subset with measurable disease at baseline (target lesions)",
               measurable, level),
    ]


def pfs_estimate(reports, plan, *, level=0.95):
    """Kaplan–Meier of the RECIST PFS of every enrolled patient (none is left out: a patient
    without an adequate assessment is censored at day 1), its median by the plan's method."""
    with_pfs = [r for r in reports if r.endpoints is not None]
    if not with_pfs:
        return None
    durations = [r.endpoints.pfs.days for r in with_pfs]
    times, _ = plots.time_ticks(max(durations))
    return stats.kaplan_meier(
        durations, [r.endpoints.pfs.event for r in with_pfs], at_risk_times=times,
        level=level, median_ci=plan.median_ci if plan else stats.MedianCiMethod.LOG_LOG)


def summary(reports, *, plan=None):
    """Rates with exact CIs, the PFS Kaplan–Meier estimate and the figures, for a page.

    ``plan`` is the study's ``StatisticsPlan`` (population, median CI method, level)."""
    level = plan.confidence_level if plan is not None else 0.95
    evaluable = [r for r in reports if r.measurable and r.endpoints is not None]
    rates = response_rates(reports, plan, level=level)
    km = pfs_estimate(reports, plan, level=level)
    median = stats.format_median(km)

    def bor(r):
        return str(r.endpoints.best_overall_response) if r.endpoints else "NE"

    series = []
    for r in evaluable:
        points = [(r.day(p.date), float(p.pct_change_from_baseline)) for p in r.timepoints
                  if p.pct_change_from_baseline is not None]
        series.append((r.subject_id, bor(r), points))
    lanes = [{
        "subject_id": r.subject_id, "days": r.last_day, "bor": bor(r),
        "response_day": r.first_response_day,
        "progression_day": (r.endpoints.pfs.days if r.endpoints and r.endpoints.pfs.event
                            and r.endpoints.pfs.reason == PfsReason.PROGRESSION else None),
        "death_day": r.day(r.patient.death_date),
    } for r in reports]
    return {
        "reports": reports,
        "rows": [{**endpoint_row(r), "best_pct_change": r.best_pct_change, "error": r.error,
                  "pfs_reason": (r.endpoints.pfs.reason.value.replace("_", " ")
                                 if r.endpoints else None),
                  "measurable": r.measurable} for r in reports],
        "evaluable": len(evaluable),
        "rates": rates,
        "orr": rates[0].orr,
        "cbr": rates[0].cbr,
        "not_evaluable": [(r.subject_id, r.not_evaluable_reason) for r in reports
                          if r.not_evaluable_reason],
        "statistics": plan,
        "km": km,
        "pfs_median": median,
        "km_svg": plots.km_plot(km, title=plan.pfs_name if plan else "Progression-free "
                                "survival"),
        "waterfall_svg": plots.waterfall_plot(
            [(r.subject_id, r.best_pct_change, bor(r)) for r in evaluable]),
        "swimmer_svg": plots.swimmer_plot(lanes),
        "spider_svg": plots.spider_plot(series),
    }
