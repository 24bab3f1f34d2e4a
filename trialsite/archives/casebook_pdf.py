"""A patient's casebook as a PDF: what a site keeps of each patient when the study closes.

Load, then render:

- **load** (``load_casebook``) reads what the casebook pages and the audit trail already read:
  every version of every record of the patient (``monitoring.selectors.patient_trail``: one
  query per form and one per related model, diffs by ``history_entries``), the queries with
  their messages, the SDV marks, the signatures and whether the latest still covers the data
  (``signature_state``), and the tumour responses and endpoints as the exports compute them
  (the ``responses`` and ``endpoints`` datasets, narrowed to the patient). A record's values are
  its versions' changes folded oldest first, so the values shown are the ones the trail shows,
  with the same human labels (field names with their units, choice labels, names of linked
  records).
- **render** (``render_pdf``) lays it out with reportlab: the signatures and computed outcomes
  first, the subject-level forms, then every visit in date order with each of its forms, each
  record followed by its SDV mark, its queries (with their threads) and its audit trail (who,
  when in UTC and in the site's time, what changed, why). Every page has a header with study,
  site, subject and data cut, and "Page n of N".

The PDF's SHA-256 is computed on the bytes written; the site archive's manifest records it.
reportlab's open-source edition writes PDF 1.4, not PDF/A (a ReportLab PLUS feature); the
fonts are embedded (DejaVu Sans, else reportlab's own Vera) so every character is kept.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from django.contrib.contenttypes.models import ContentType
from django.db.models import JSONField
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from trialsite.audit import BOOKKEEPING_FIELDS
from trialsite.exports.registry import Filters, get_dataset, iter_rows
from trialsite.monitoring import registry
from trialsite.monitoring.models import CasebookSignature, Query, SdvMark
from trialsite.monitoring.selectors import form_label, patient_trail, signature_state

# --- load -------------------------------------------------------------------------------------


@dataclass
class RecordView:
    model: type
    record_id: int
    form: str
    version: int | None
    voided: bool
    values: list  # (label, shown value)
    trail: list  # HistoryEntry, newest first
    current: object  # the latest history row
    queries: list = field(default_factory=list)
    sdv: object = None


@dataclass
class VisitView:
    record: RecordView
    code: str
    label: str
    target_date: object
    actual_date: object
    status: str
    forms: list = field(default_factory=list)


@dataclass
class Casebook:
    patient: object
    site: object
    study: object
    time_zone: str
    subject_forms: list
    visits: list
    orphan_queries: list
    signatures: list
    signature_valid: bool
    signature_changes: tuple
    responses: list  # (dataset, rows)


_HIDDEN = {"id", *BOOKKEEPING_FIELDS}


def _folded_values(model, entries):
    """``[(label, value)]`` of the record as its trail shows it: every field, in form order."""
    current = entries[0].record if entries else None
    shown = {}
    for entry in reversed(entries):  # oldest first
        for change in entry.changes:
            shown[change.field] = change.new
    patient_model, visit_model = registry.patient_model(), registry.visit_model()
    values = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in _HIDDEN or model_field.primary_key:
            continue
        if model_field.is_relation and model_field.related_model in (patient_model,
                                                                     visit_model):
            continue  # the section the record is in says which patient and visit
        if model_field.name in ("voided_at", "void_reason") and model_field.name not in shown:
            continue
        label = str(model_field.verbose_name)
        label = label[:1].upper() + label[1:]
        raw = getattr(current, model_field.attname, None)
        if isinstance(model_field, JSONField) and isinstance(raw, dict) and raw:
            # Protocol variables kept as one JSON value (the screening's): one line each,
            # named and coded as the data dictionary names them.
            for key, value in raw.items():
                values.append((f"{label}: {_variable_label(key)}", _variable_value(key, value)))
            continue
        values.append((label, shown.get(model_field.name, "—")))
    return values


def _dictionary():
    """``{variable name: Var}`` over every dataset (the first dataset naming it wins)."""
    if not _VARIABLES:
        from trialsite.exports.registry import all_datasets

        for dataset in all_datasets():
            for var in dataset.variables:
                _VARIABLES.setdefault(var.name, var)
    return _VARIABLES


_VARIABLES = {}


def _variable_label(name):
    var = _dictionary().get(name)
    if var is None:
        return name
    return f"{var.label} ({var.unit})" if var.unit and var.unit not in var.label else var.label


def _variable_value(name, value):
    if value is None or value == "":
        return "—"
    var = _dictionary().get(name)
    text = str(value)
    return dict(var.codes).get(text, text) if var is not None and var.codes else text


def _visit_id(model, row, rows_by_key):
    """The visit a record belongs to, following its scope path through records of the same
    patient already loaded (an aliquot's sample's visit)."""
    scope = registry.scope_of(model)
    if not scope.visit:
        return None
    if scope.visit == "pk":
        return row.id
    current_model, current_row = model, row
    for part in scope.visit.split("__"):
        model_field = current_model._meta.get_field(part)
        value = getattr(current_row, model_field.attname, None)
        if value is None:
            return None
        current_model = model_field.related_model
        if current_model is registry.visit_model():
            return value
        record = rows_by_key.get((current_model, value))
        if record is None:
            return None
        current_row = record.current
    return None


def _responses(patient, user):
    """The computed tumour responses and endpoints, as the exports compute them."""
    out = []
    for name in ("responses", "endpoints"):
        try:
            dataset = get_dataset(name)
        except KeyError:
            continue
        rows = list(iter_rows(dataset, user, Filters(patient_ids=(patient.pk,))))
        out.append((dataset, rows))
    return out


def load_casebook(patient, *, user):
    """Everything the PDF shows of ``patient`` (loaded with its site and study)."""
    site = patient.site
    time_zone = site.time_zone
    rows_by_key = {}
    for trail_row in patient_trail(patient, time_zone=time_zone):  # newest first
        key = (trail_row.model, trail_row.record_id)
        if key not in rows_by_key:
            rows_by_key[key] = RecordView(
                model=trail_row.model, record_id=trail_row.record_id,
                form=form_label(trail_row.model), version=trail_row.entry.version,
                voided=getattr(trail_row.entry.record, "voided_at", None) is not None,
                values=[], trail=[], current=trail_row.entry.record)
        rows_by_key[key].trail.append(trail_row.entry)
    for record in rows_by_key.values():
        record.values = _folded_values(record.model, record.trail)

    content_types = ContentType.objects.get_for_models(*{m for m, _ in rows_by_key},
                                                       for_concrete_models=False)
    by_type = {ct.pk: model for model, ct in content_types.items()}
    queries = list(Query.objects.filter(patient_pk=patient.pk)
                   .select_related("opened_by").prefetch_related("messages__author")
                   .order_by("created_at", "pk"))
    orphans = []
    for query in queries:
        record = rows_by_key.get((by_type.get(query.record_type_id), query.record_id))
        (record.queries if record is not None else orphans).append(query)
    for mark in SdvMark.objects.filter(patient_pk=patient.pk).select_related("verified_by"):
        record = rows_by_key.get((by_type.get(mark.record_type_id), mark.record_id))
        if record is not None:
            record.sdv = mark

    visit_model = registry.visit_model()
    visits, subject_forms = {}, []
    for (model, record_id), record in rows_by_key.items():
        if model is visit_model:
            row = record.current
            visits[record_id] = VisitView(
                record=record, code=row.code, label=row.label, target_date=row.target_date,
                actual_date=row.actual_date, status=row.get_status_display())
    for (model, _), record in sorted(rows_by_key.items(),
                                     key=lambda item: (item[1].form, item[0][1])):
        if model is visit_model or model is registry.patient_model():
            continue
        visit_id = _visit_id(model, record.current, rows_by_key)
        if visit_id in visits:
            visits[visit_id].forms.append(record)
        else:
            subject_forms.append(record)
    patient_record = rows_by_key.get((registry.patient_model(), patient.pk))
    if patient_record is not None:
        subject_forms.insert(0, patient_record)

    state = signature_state(patient.pk)
    signatures = list(CasebookSignature.objects.filter(patient_pk=patient.pk)
                      .select_related("signer").order_by("-signed_at", "-pk"))
    return Casebook(
        patient=patient, site=site, study=site.study, time_zone=time_zone,
        subject_forms=subject_forms,
        visits=sorted(visits.values(), key=lambda v: (v.target_date, v.record.record_id)),
        orphan_queries=orphans, signatures=signatures, signature_valid=state.valid,
        signature_changes=state.changed, responses=_responses(patient, user))


# --- render -----------------------------------------------------------------------------------

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_fonts = {}


def _register_fonts():
    """DejaVu Sans (Debian's fonts-dejavu-core) covers ≥, →, ×; reportlab's Vera otherwise."""
    if _fonts:
        return _fonts
    candidates = [(d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf") for d in _FONT_DIRS]
    import reportlab

    bundled = Path(reportlab.__file__).parent / "fonts"
    candidates.append((bundled / "Vera.ttf", bundled / "VeraBd.ttf"))
    for regular, bold in candidates:
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("CasebookSans", str(regular)))
            pdfmetrics.registerFont(TTFont("CasebookSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("CasebookSans", normal="CasebookSans",
                                          bold="CasebookSans-Bold")
            _fonts.update(regular="CasebookSans", bold="CasebookSans-Bold")
            return _fonts
    _fonts.update(regular="Helvetica", bold="Helvetica-Bold")
    return _fonts


def _styles():
    fonts = _register_fonts()
    base = ParagraphStyle("base", fontName=fonts["regular"], fontSize=8, leading=10)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
        "title": ParagraphStyle("title", parent=base, fontName=fonts["bold"], fontSize=16,
                                leading=20, spaceAfter=6),
        "h1": ParagraphStyle("h1", parent=base, fontName=fonts["bold"], fontSize=12,
                             leading=15, spaceBefore=8, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=fonts["bold"], fontSize=10,
                             leading=12, spaceBefore=6, spaceAfter=2),
        "h3": ParagraphStyle("h3", parent=base, fontName=fonts["bold"], fontSize=8.5,
                             leading=10.5, spaceBefore=3, spaceAfter=1),
        "bold": ParagraphStyle("bold", parent=base, fontName=fonts["bold"]),
    }


def _p(text, style):
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
])
_HEADED = TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf1"))])
_WIDTH = A4[0] - 30 * mm
_MAX_ROW_LINES = 40


def _cell(text, width, font, size):
    """A table cell as plain text, wrapped to the column here (``simpleSplit``): a Paragraph
    per cell is parsed and wrapped again at every layout pass, which was most of the time a
    casebook took."""
    lines = []
    for line in text.split("\n"):
        lines.extend(simpleSplit(line, font, size, width - 5) or [""])
    return "\n".join(lines)


def _table(rows, widths, styles, *, header=None):
    cell = styles["small"]
    widths = [w * _WIDTH for w in widths]
    data = []
    if header:
        data.append([_cell(h, widths[i], styles["bold"].fontName, cell.fontSize)
                     for i, h in enumerate(header)])
    for row in rows:
        cells = [_cell(str(value), widths[column], cell.fontName, cell.fontSize).split("\n")
                 for column, value in enumerate(row)]
        # A row is never split across pages: a very long cell goes on over further rows.
        for start in range(0, max(len(c) for c in cells), _MAX_ROW_LINES):
            data.append(["\n".join(c[start:start + _MAX_ROW_LINES]) for c in cells])
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize,
                                cell.leading)]))
    if header:
        table.setStyle(_HEADED)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), styles["bold"].fontName,
                                    cell.fontSize, cell.leading)]))
    return table


def _when(moment, time_zone):
    from zoneinfo import ZoneInfo

    if moment is None:
        return "—"
    return (f"{moment.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M:%S} UTC / "
            f"{moment.astimezone(ZoneInfo(time_zone)):%Y-%m-%d %H:%M} {time_zone}")


def _user(user):
    if user is None:
        return "unknown"
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def _trail_table(record, styles):
    rows = []
    for entry in record.trail:
        if entry.action == "created":
            changes = "; ".join(f"{c.label}: {c.new}" for c in entry.changes)
        else:
            changes = "; ".join(f"{c.label}: {c.old} → {c.new}" for c in entry.changes)
        rows.append([
            str(entry.version or ""), entry.action,
            f"{entry.at_utc:%Y-%m-%d %H:%M:%S} UTC",
            f"{entry.at_local:%Y-%m-%d %H:%M:%S} {entry.time_zone}",
            entry.user_label, changes or "—", entry.reason or "—",
        ])
    return _table(rows, (0.04, 0.07, 0.13, 0.17, 0.13, 0.31, 0.15), styles,
                  header=("v.", "Action", "When (UTC)", "When (site time)", "Who",
                          "What changed", "Reason"))


def _record_flowables(record, casebook, styles):
    title = f"{record.form} — record {record.record_id}, version {record.version}"
    if record.voided:
        title += " (VOIDED)"
    flow = [_p(title, styles["h3"])]
    half = (len(record.values) + 1) // 2
    pairs = record.values
    rows = []
    for i in range(half):
        left = pairs[i]
        right = pairs[half + i] if half + i < len(pairs) else ("", "")
        rows.append([left[0], left[1], right[0], right[1]])
    if rows:
        flow.append(_table(rows, (0.2, 0.3, 0.2, 0.3), styles))
    if record.sdv is not None:
        mark = record.sdv
        state = ("current" if mark.record_version == record.version
                 else f"changed since: the record is now at version {record.version}")
        flow.append(_p(f"Source data verified at version {mark.record_version} by "
                       f"{_user(mark.verified_by)}, {_when(mark.verified_at, casebook.time_zone)}"
                       f" ({state}).", styles["small"]))
    else:
        flow.append(_p("Source data verification: not verified.", styles["small"]))
    for query in record.queries:
        flow.extend(_query_flowables(query, casebook, styles))
    flow.append(_p("Audit trail", styles["bold"]))
    flow.append(_trail_table(record, styles))
    flow.append(Spacer(1, 3 * mm))
    return flow


def _query_flowables(query, casebook, styles):
    head = (f"Query {query.pk} on {query.field_label or query.field_name or 'the record'} "
            f"(record version {query.record_version}) — {query.get_status_display()}; "
            f"opened by {_user(query.opened_by)}"
            + (f", edit check {query.check_code}" if query.check_code else ""))
    rows = []
    for message in query.messages.all():
        rows.append([
            message.get_kind_display(), _when(message.created_at, casebook.time_zone),
            _user(message.author), message.text,
            f"version {message.correction_version}" if message.correction_version else "",
        ])
    return [_p(head, styles["small"]),
            _table(rows, (0.08, 0.22, 0.15, 0.45, 0.10), styles,
                   header=("Step", "When", "Who", "Message", "Correction"))]


def _signature_flowables(casebook, styles):
    flow = [_p("Investigator signatures", styles["h1"])]
    if not casebook.signatures:
        return [*flow, _p("The casebook has not been signed.", styles["base"])]
    rows = []
    for index, signature in enumerate(casebook.signatures):
        if index == 0:
            covers = ("covers the data as they are" if casebook.signature_valid else
                      "no longer covers the data: "
                      + "; ".join(f"{form} {pk} (signed version {old or '—'}, now "
                                  f"{new or '—'})" for form, pk, old, new, _
                                  in casebook.signature_changes))
        else:
            covers = "superseded by a later signature"
        rows.append([
            f"{signature.printed_name} ({signature.signer.username})",
            _when(signature.signed_at, casebook.time_zone), signature.meaning,
            f"{len(signature.manifest)} records at their versions; SHA-256 "
            f"{signature.content_hash}", covers])
    return [*flow, _table(rows, (0.15, 0.17, 0.25, 0.23, 0.2), styles,
                          header=("Signed by", "When", "Meaning", "What it covered", "Now"))]


def _dataset_value(var, value):
    if value is None or value == "":
        return "—"
    codes = dict(var.codes)
    if var.type == "boolean":
        return "yes" if str(value) in ("1", "True") else "no"
    text = str(value)
    shown = codes.get(text, text)
    return f"{shown} {var.unit}".strip() if var.unit else shown


def _outcome_flowables(casebook, styles):
    flow = []
    skip = {"study", "site", "subject_id", "record_id", "version", "updated_at", "voided"}
    for dataset, rows in casebook.responses:
        flow.append(_p(dataset.label, styles["h1"]))
        if not rows:
            flow.append(_p("None recorded.", styles["base"]))
            continue
        for row in rows:
            values = [(var.label, _dataset_value(var, value))
                      for var, value in zip(dataset.variables, row, strict=True)
                      if var.name not in skip]
            half = (len(values) + 1) // 2
            table_rows = []
            for i in range(half):
                right = values[half + i] if half + i < len(values) else ("", "")
                table_rows.append([values[i][0], values[i][1], right[0], right[1]])
            flow.append(_table(table_rows, (0.22, 0.28, 0.22, 0.28), styles))
            flow.append(Spacer(1, 2 * mm))
    return flow


def _story(casebook, data_cut, styles):
    patient, site, study = casebook.patient, casebook.site, casebook.study
    story = [
        _p(f"Casebook of subject {patient.subject_id}", styles["title"]),
        _table([
            ["Study", f"{study.code} ({study.registry_id}) — {study.title}"],
            ["Site", f"{site.code} — {site.name}, {site.city}, {site.country}"],
            ["Site time zone", casebook.time_zone],
            ["Subject", patient.subject_id],
            ["Data cut", _when(data_cut, casebook.time_zone)],
        ], (0.2, 0.8), styles),
        Spacer(1, 3 * mm),
        _p("Every form of every visit with its values, its source data verification, its "
           "queries and its audit trail (times in UTC and in the site's time). Values are "
           "shown as entered, with the units in the field names.", styles["small"]),
    ]
    story.extend(_signature_flowables(casebook, styles))
    story.extend(_outcome_flowables(casebook, styles))
    story.append(_p("Subject-level forms", styles["h1"]))
    for record in casebook.subject_forms:
        story.extend(_record_flowables(record, casebook, styles))
    story.append(_p("Visits", styles["h1"]))
    for visit in casebook.visits:
        story.append(KeepTogether([
            _p(f"Visit {visit.code} — {visit.label}", styles["h2"]),
            _p(f"Target date {visit.target_date}; visit date {visit.actual_date or '—'}; "
               f"status {visit.status}", styles["base"])]))
        story.extend(_record_flowables(visit.record, casebook, styles))
        for record in visit.forms:
            story.extend(_record_flowables(record, casebook, styles))
    if casebook.orphan_queries:
        story.append(_p("Other queries", styles["h1"]))
        for query in casebook.orphan_queries:
            story.extend(_query_flowables(query, casebook, styles))
    return story


class _NumberedCanvas(pdf_canvas.Canvas):
    """Holds the pages back so each can say "Page n of N" once N is known."""

    def __init__(self, *args, header="", **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []
        self._header = header

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        fonts = _register_fonts()
        for number, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            width, height = A4
            self.setFont(fonts["regular"], 7.5)
            self.drawString(15 * mm, height - 10 * mm, self._header)
            self.line(15 * mm, height - 11.5 * mm, width - 15 * mm, height - 11.5 * mm)
            self.drawRightString(width - 15 * mm, 8 * mm, f"Page {number} of {total}")
            self.drawString(15 * mm, 8 * mm, "trialsite casebook")
            super().showPage()
        super().save()


@dataclass(frozen=True)
class CasebookFile:
    subject_id: str
    file_name: str
    content: bytes
    sha256: str
    pages: int


def render_pdf(casebook, *, data_cut):
    """The casebook's PDF bytes and page count."""
    styles = _styles()
    buffer = io.BytesIO()
    patient, site, study = casebook.patient, casebook.site, casebook.study
    header = (f"Study {study.code} · Site {site.code} ({site.name}) · Subject "
              f"{patient.subject_id} · Data cut {data_cut:%Y-%m-%d %H:%M:%S} UTC")
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm,
        bottomMargin=14 * mm, title=f"Casebook {patient.subject_id}",
        author="trialsite", subject=f"{study.code} {site.code} {patient.subject_id}")
    pages = []

    def canvas_maker(*args, **kwargs):
        made = _NumberedCanvas(*args, header=header, **kwargs)
        pages.append(made)
        return made

    document.build(_story(casebook, data_cut, styles), canvasmaker=canvas_maker)
    return buffer.getvalue(), len(pages[-1]._pages) if pages else 0


def casebook_pdf(patient, *, user, data_cut):
    """The PDF of ``patient``'s casebook as ``user`` may see it, with its SHA-256."""
    content, pages = render_pdf(load_casebook(patient, user=user), data_cut=data_cut)
    return CasebookFile(subject_id=patient.subject_id,
                        file_name=f"casebook-{patient.subject_id}.pdf", content=content,
                        sha256=hashlib.sha256(content).hexdigest(), pages=pages)
