"""Monitoring pages: thin views that check the role, read through selectors, call a service."""

from dataclasses import replace
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from trialsite import access, csv_safety
from trialsite.forms import apply_service
from trialsite.models import Role, Study, User
from trialsite.monitoring import dashboard as dashboards
from trialsite.monitoring import registry, selectors, services
from trialsite.monitoring.forms import (
    QueryActionForm,
    QueryOpenForm,
    ReasonForm,
    SignForm,
    TrailFilterForm,
)
from trialsite.monitoring.models import Lock, Query
from trialsite.monitoring.scope import where_of


def _has(user, roles, site):
    return user.is_superuser or any(access.has_role_at(user, r, site) for r in roles)


def _error_text(error):
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@login_required
def monitoring_home(request):
    roles = selectors.REVIEW_ROLES | selectors.DASHBOARD_ROLES
    sites = list(access.sites_visible_to(request.user, roles=roles).select_related("study"))
    if not sites:
        raise PermissionDenied("Monitoring pages are for monitors, data managers and sponsors.")
    studies = sorted({s.study for s in sites}, key=lambda s: s.code)
    reviewer_sites = set(access.sites_visible_to(request.user, roles=selectors.REVIEW_ROLES)
                         .values_list("pk", flat=True))
    locks = selectors.locks_of([s.pk for s in sites]) if reviewer_sites else []
    return render(request, "monitoring/home.html", {
        "studies": studies, "sites": sites, "reviewer_sites": reviewer_sites,
        "locks": locks, "is_dm": Role.DATA_MANAGER in access.roles_of(request.user),
    })


# --- one record -------------------------------------------------------------------------------


@login_required
def record_review(request, type_id, pk):
    model = selectors.monitored_model(type_id)
    record = selectors.record_get(user=request.user, model=model, pk=pk)
    site = selectors.site_of(record)
    where = where_of(record)
    info = selectors.record_monitoring(record)
    reviewer = _has(request.user, selectors.REVIEW_ROLES, site)
    return render(request, "monitoring/record.html", {
        "record": record, "form_label": selectors.form_label(model), "site": site,
        "where": where, "history": selectors.record_trail(record, time_zone=site.time_zone),
        "record_url": registry.record_url(record), **info,
        "can_raise": reviewer, "can_verify": _has(request.user, (Role.MONITOR,), site),
        "query_form": QueryOpenForm(fields=selectors.field_choices(model)),
        "lock": selectors.active_lock_for(site_id=where.site_id, patient_pk=where.patient_pk,
                                          visit_pk=where.visit_pk),
        "type_id": type_id, "is_dm": _has(request.user, (Role.DATA_MANAGER,), site),
    })


@login_required
def query_open(request, type_id, pk):
    model = selectors.monitored_model(type_id)
    record = selectors.record_get(user=request.user, model=model, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = QueryOpenForm(request.POST, fields=selectors.field_choices(model))
    if form.is_valid():
        query, _ = apply_service(form, lambda: services.query_open(
            actor=request.user, record=record, text=form.cleaned_data["text"],
            field_name=form.cleaned_data["field_name"]))
        if query is not None:
            messages.success(request, f"Query #{query.pk} raised.")
            return redirect("query-detail", pk=query.pk)
    errors = "; ".join(" ".join(v) for v in form.errors.values()) or "The query was not saved."
    messages.error(request, errors)
    return redirect("record-review", type_id=type_id, pk=pk)


@login_required
def sdv_mark(request, type_id, pk):
    model = selectors.monitored_model(type_id)
    record = selectors.record_get(user=request.user, model=model, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.sdv_mark(actor=request.user, records=[record])
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{selectors.form_label(model)} marked source-verified at "
                                  f"version {record.version}.")
    return redirect("record-review", type_id=type_id, pk=pk)


# --- queries ----------------------------------------------------------------------------------


@login_required
def query_list(request):
    status = request.GET.get("status", "")
    if status not in ("", *Query.Status.values):
        status = ""
    sites = list(access.sites_visible_to(request.user,
                                         roles=selectors.TRAIL_ROLES).select_related("study"))
    site = next((s for s in sites if s.code == request.GET.get("site")), None)
    mine = request.GET.get("mine") == "1"
    rows = list(selectors.query_list(request.user, status=status, site=site, mine=mine)[:500])
    today = timezone.now().date()
    return render(request, "monitoring/query_list.html", {
        "queries": [(q, selectors.age_days(q.created_at, today)) for q in rows],
        "status": status, "sites": sites, "site": site, "mine": mine,
        "statuses": Query.Status.choices,
    })


@login_required
@require_http_methods(["GET", "POST"])
def query_detail(request, pk):
    query = selectors.query_get(request.user, pk)
    site = query.site
    can_answer = _has(request.user, (Role.COORDINATOR, Role.INVESTIGATOR), site)
    can_review = _has(request.user, selectors.REVIEW_ROLES, site)
    form = QueryActionForm(request.POST or None, initial={"version": query.version})
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        call = {"answer": services.query_answer, "close": services.query_close,
                "reopen": services.query_reopen}[action]
        saved, conflict = apply_service(form, lambda: call(
            actor=request.user, query=query, text=form.cleaned_data["text"],
            expected_version=form.cleaned_data["version"]))
        if saved is not None:
            messages.success(request, f"Query #{query.pk}: {saved.get_status_display().lower()}.")
            return redirect("query-detail", pk=query.pk)
        if conflict is not None:
            messages.error(request, str(conflict))
    record = query.record
    last_seen = max([query.record_version,
                     *[m.correction_version or 0 for m in query.messages.all()]])
    return render(request, "monitoring/query_detail.html", {
        "query": query, "thread": list(query.messages.select_related("author")),
        "form": form, "can_answer": can_answer and query.status == Query.Status.OPEN,
        "can_review": can_review, "record": record,
        "record_url": registry.record_url(record),
        "corrected_since": getattr(record, "version", 0) > last_seen,
        "age": selectors.age_days(query.created_at),
    })


# --- patients: merged trail, signature, lock --------------------------------------------------


def _patient_context(request, patient):
    site = selectors.site_of(patient)
    return site, {
        "patient": patient, "site": site,
        "signature": selectors.signature_state(patient.pk),
        "can_sign": access.has_role_at(request.user, Role.INVESTIGATOR, site),
        "is_dm": _has(request.user, (Role.DATA_MANAGER,), site),
        "lock": selectors.active_lock_for(site_id=site.pk, patient_pk=patient.pk),
    }


@login_required
def patient_trail(request, subject_id):
    patient = selectors.patient_get(user=request.user, key=subject_id)
    site, context = _patient_context(request, patient)
    models = registry.monitored_models()
    form_choice = request.GET.get("form", "")
    model = next((m for m in models if m._meta.label == form_choice), None)
    user_id = request.GET.get("user", "")
    user_id = int(user_id) if user_id.isdigit() else None
    rows = selectors.patient_trail(patient, model=model, user_id=user_id,
                                   time_zone=site.time_zone)
    users = User.objects.filter(memberships__study=site.study_id).distinct()
    return render(request, "monitoring/patient_trail.html", {
        **context, "rows": rows, "forms": [(m._meta.label, selectors.form_label(m))
                                           for m in models],
        "form_choice": form_choice, "users": users, "user_id": user_id,
        "queries": list(selectors.query_list(request.user, patient_pk=patient.pk)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def casebook_sign(request, subject_id):
    patient = selectors.patient_get(user=request.user, key=subject_id)
    site, context = _patient_context(request, patient)
    if not context["can_sign"]:
        raise PermissionDenied("Only an investigator of the patient's site signs the casebook.")
    from trialsite.monitoring.models import CasebookSignature

    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signed, _ = apply_service(form, lambda: services.casebook_sign(
            actor=request.user, patient=patient, password=form.cleaned_data["password"]))
        if signed is not None:
            messages.success(request, "Casebook signed.")
            return redirect("patient-trail", subject_id=subject_id)
    return render(request, "monitoring/sign.html", {
        **context, "form": form, "meaning": CasebookSignature.MEANING,
        "now": timezone.now(),
    })


def _lock_post(request, target, back):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.lock_create(actor=request.user, target=target,
                                 reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, f"{target} locked.")
    else:
        messages.error(request, "A reason is required to lock.")
    return redirect(back)


@login_required
def patient_lock(request, subject_id):
    patient = selectors.patient_get(user=request.user, key=subject_id)
    return _lock_post(request, patient, reverse("patient-trail", args=[subject_id]))


@login_required
def visit_lock(request, pk):
    model = registry.visit_model()
    visit = selectors.record_get(user=request.user, model=model, pk=pk)
    return _lock_post(request, visit,
                      reverse("record-review", args=[model._meta.label_lower, pk]))


@login_required
def visit_sdv(request, pk):
    model = registry.visit_model()
    visit = selectors.record_get(user=request.user, model=model, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        marks = services.sdv_mark(actor=request.user, records=selectors.visit_records(visit))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{visit}: {len(marks)} records marked source-verified.")
    return redirect("record-review", type_id=model._meta.label_lower, pk=pk)


def _site_for(request, code, roles):
    site = (access.sites_visible_to(request.user, roles=roles).select_related("study")
            .filter(code=code).first())
    if site is None:
        raise Http404("No such site")
    return site


@login_required
def site_lock(request, code):
    site = _site_for(request, code, selectors.REVIEW_ROLES)
    return _lock_post(request, site, reverse("monitoring-home"))


@login_required
@require_http_methods(["GET", "POST"])
def lock_release(request, pk):
    sites = access.sites_visible_to(request.user, roles=selectors.REVIEW_ROLES)
    lock = Lock.objects.select_related("site").filter(pk=pk, site__in=sites).first()
    if lock is None:
        raise Http404("No such lock")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        released, _ = apply_service(form, lambda: services.lock_release(
            actor=request.user, lock=lock, reason=form.cleaned_data["reason"]))
        if released is not None:
            messages.success(request, f"{lock.target_label} unlocked.")
            return redirect("monitoring-home")
    return render(request, "monitoring/unlock.html", {"lock": lock, "form": form})


@login_required
def sdv_worklist(request, code):
    site = _site_for(request, code, selectors.REVIEW_ROLES)
    return render(request, "monitoring/sdv_worklist.html", {
        "site": site, **selectors.sdv_worklist(site)})


# --- study-wide trail and export --------------------------------------------------------------


def _study_for(request, code, roles):
    sites = access.sites_visible_to(request.user, roles=roles)
    study = Study.objects.filter(code=code, sites__in=sites).distinct().first()
    if study is None:
        raise Http404("No such study")
    return study, list(sites.filter(study=study))


def _trail_filter(request, study, sites):
    users = (User.objects.filter(memberships__study=study).distinct()
             .order_by("username"))
    form = TrailFilterForm(
        request.GET or None, sites=[(s.code, s.code) for s in sites],
        users=[(str(u.pk), u.username) for u in users], forms_=selectors.trail_forms())
    flt = None
    if form.is_valid():
        data = form.cleaned_data
        site = next((s for s in sites if s.code == data["site"]), None)
        flt = selectors.TrailFilter(
            study=study, site=site, user_id=int(data["user"]) if data["user"] else None,
            form=data["form"], date_from=data["date_from"], date_to=data["date_to"],
            action=data["action"])
    elif not form.is_bound:
        flt = selectors.TrailFilter(study=study)
    return form, flt




@login_required
def study_trail(request, code):
    study, sites = _study_for(request, code, selectors.REVIEW_ROLES)
    form, flt = _trail_filter(request, study, sites)
    rows, next_cursor = [], None
    if flt is not None:
        if flt.site is None and len(sites) < study.sites.count():
            # A monitor who covers some sites reads one of their sites' trail at a time.
            flt = replace(flt, site=sites[0])
            messages.info(request, f"Showing site {sites[0].code}: choose another of your "
                                   "sites in the filter.")
        rows, next_cursor = selectors.study_trail(flt, cursor=request.GET.get("cursor"))
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "monitoring/study_trail.html", {
        "study": study, "form": form, "rows": rows, "next_cursor": next_cursor,
        "query": query.urlencode(),
    })


class _Echo:
    def write(self, value):
        return value


@login_required
def study_trail_csv(request, code):
    study, sites = _study_for(request, code, selectors.REVIEW_ROLES)
    form, flt = _trail_filter(request, study, sites)
    if flt is None or flt.date_from is None or flt.date_to is None:
        messages.error(request, "Choose a date range (from and to) to export.")
        return redirect(reverse("study-trail", args=[code]) + "?" + request.GET.urlencode())
    if flt.date_to - flt.date_from > timedelta(days=selectors.EXPORT_MAX_DAYS):
        messages.error(request, f"Export at most {selectors.EXPORT_MAX_DAYS} days at a time.")
        return redirect(reverse("study-trail", args=[code]) + "?" + request.GET.urlencode())
    if flt.site is None and len(sites) < study.sites.count():
        raise PermissionDenied("Choose one of your sites.")
    writer = csv_safety.writer(_Echo())

    def rows():
        yield writer.writerow(selectors.CSV_HEADER)
        for row in selectors.trail_export_rows(flt):
            yield writer.writerow(row)

    name = f"audit-trail-{study.code}-{flt.date_from:%Y%m%d}-{flt.date_to:%Y%m%d}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- dashboard --------------------------------------------------------------------------------


@login_required
def dashboard(request, code):
    study, sites = _study_for(request, code, selectors.DASHBOARD_ROLES)
    site = next((s for s in sites if s.code == request.GET.get("site")), None)
    chosen = [site] if site is not None else sites
    return render(request, "monitoring/dashboard.html", {
        "study": study, "sites": sites, "site": site,
        **dashboards.dashboard(study, chosen, all_sites=site is None and
                               len(sites) == study.sites.count()),
    })


