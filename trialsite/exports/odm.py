"""The whole study as CDISC ODM 1.3.2, written incrementally (constant memory).

Study metadata comes from the declarations: study events from the protocol's visit schedule,
one form (with one item group) per dataset that has an ``odm_form``, items and code lists from
the dataset variables. Clinical data are read a chunk of subjects at a time through the same
datasets as the CSV exports (so the same visibility rules apply) and written subject by subject:
subject-level forms under the "Subject" event, visit forms under their visit's event.

``audit=True`` adds the study's audit trail as ``AuditRecords`` (one ``AuditRecord`` per
history row: user, site, time, reason and the record it concerns).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db import connections
from lxml import etree

from trialsite.access import sites_visible_to, studies_visible_to
from trialsite.exports.registry import (
    Filters,
    all_datasets,
    dataset_queryset,
    get_dataset,
    iter_rows,
)
from trialsite.exports.streaming import copy_csv_chunks
from trialsite.models import Membership

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
SUBJECTS_PER_CHUNK = 100
KEY_VARIABLES = frozenset({"study", "site", "subject_id", "visit_code"})
SUBJECT_EVENT = "SE.SUBJECT"
_DATA_TYPES = {"text": "text", "integer": "integer", "decimal": "float", "date": "date",
               "datetime": "datetime", "boolean": "integer"}


def _oid(text):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in str(text)).upper()


def item_oid(dataset, var):
    return f"IT.{_oid(dataset.name)}.{_oid(var.name)}"


def _value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    return str(value)


def odm_datasets():
    return tuple(d for d in all_datasets() if d.odm_form)


def _visit_level(dataset):
    return "visit_code" in dataset.names


def _text(xf, tag, text, **attrs):
    with xf.element(tag, **attrs), xf.element("TranslatedText"):
        xf.write(text)


def _events(protocol):
    """(OID, name, repeating, type) of each study event the protocol's schedule declares."""
    events = [(SUBJECT_EVENT, "Subject (not tied to a visit)", "No", "Common")]
    schedule = protocol.schedule
    if schedule is None:
        return events
    for visit in schedule.visits:
        events.append((f"SE.{_oid(visit.code)}", visit.label, "No", "Scheduled"))
    if schedule.repeat is not None:
        events.append(("SE.REPEATING", "Repeating visit", "Yes", "Scheduled"))
    if schedule.end_of_treatment is not None:
        events.append(("SE.EOT", "End of treatment", "No", "Scheduled"))
    if schedule.follow_up is not None:
        events.append(("SE.FOLLOW_UP", "Follow-up", "Yes", "Scheduled"))
    events.append(("SE.UNSCHEDULED", "Unscheduled visit", "Yes", "Unscheduled"))
    return events


def _event_of(kind, code, fixed):
    """(StudyEventOID, repeat key) of a visit."""
    if kind == "scheduled" and code in fixed:
        return f"SE.{_oid(code)}", None
    return {"repeating": "SE.REPEATING", "end_of_treatment": "SE.EOT",
            "follow_up": "SE.FOLLOW_UP"}.get(kind, "SE.UNSCHEDULED"), code


def _metadata(xf, study, datasets, units):
    protocol = study.protocol
    events = _events(protocol)
    subject_forms = [d for d in datasets if not _visit_level(d)]
    visit_forms = [d for d in datasets if _visit_level(d)]
    with xf.element("MetaDataVersion", OID="MDV.1", Name=f"{study.code} export metadata"):
        with xf.element("Protocol"):
            for i, (oid, _, _, _) in enumerate(events, 1):
                xf.write(etree.Element("StudyEventRef", StudyEventOID=oid, OrderNumber=str(i),
                                       Mandatory="No"))
        for oid, name, repeating, kind in events:
            forms = subject_forms if oid == SUBJECT_EVENT else visit_forms
            with xf.element("StudyEventDef", OID=oid, Name=name, Repeating=repeating, Type=kind):
                for d in forms:
                    xf.write(etree.Element("FormRef", FormOID=f"F.{_oid(d.odm_form)}",
                                           Mandatory="No"))
        for d in datasets:
            with xf.element("FormDef", OID=f"F.{_oid(d.odm_form)}", Name=d.label,
                            Repeating="No"):
                xf.write(etree.Element("ItemGroupRef", ItemGroupOID=f"IG.{_oid(d.odm_form)}",
                                       Mandatory="No"))
        for d in datasets:
            with xf.element("ItemGroupDef", OID=f"IG.{_oid(d.odm_form)}", Name=d.label,
                            Repeating="Yes" if d.odm_repeating else "No"):
                for var in d.variables:
                    if var.name not in KEY_VARIABLES:
                        xf.write(etree.Element("ItemRef", ItemOID=item_oid(d, var),
                                               Mandatory="No"))
        for d in datasets:
            for var in d.variables:
                if var.name in KEY_VARIABLES:
                    continue
                with xf.element("ItemDef", OID=item_oid(d, var), Name=var.name,
                                DataType=_DATA_TYPES[var.type]):
                    _text(xf, "Description", var.label)
                    if var.unit:
                        xf.write(etree.Element("MeasurementUnitRef",
                                               MeasurementUnitOID=units[var.unit]))
                    if var.codes:
                        xf.write(etree.Element("CodeListRef",
                                               CodeListOID=f"CL.{_oid(d.name)}.{_oid(var.name)}"))
        for d in datasets:
            for var in d.variables:
                if var.codes and var.name not in KEY_VARIABLES:
                    with xf.element("CodeList", OID=f"CL.{_oid(d.name)}.{_oid(var.name)}",
                                    Name=var.label,
                                    DataType="integer" if var.type == "integer" else "text"):
                        for code, label in var.codes:
                            with xf.element("CodeListItem", CodedValue=code):
                                _text(xf, "Decode", label)


def _study(xf, study, datasets, units):
    with xf.element("Study", OID=f"S.{_oid(study.code)}"):
        with xf.element("GlobalVariables"):
            with xf.element("StudyName"):
                xf.write(study.code)
            with xf.element("StudyDescription"):
                xf.write(study.title)
            with xf.element("ProtocolName"):
                xf.write(study.registry_id)
        if units:
            with xf.element("BasicDefinitions"):
                for unit, oid in units.items():
                    with xf.element("MeasurementUnit", OID=oid, Name=unit):
                        _text(xf, "Symbol", unit)
        _metadata(xf, study, datasets, units)


def _admin(xf, studies, sites):
    users = (Membership.objects.filter(study__in=studies).values_list("user__username", flat=True)
             .distinct().order_by("user__username"))
    with xf.element("AdminData"):
        for username in ("system", "unknown", *users):
            if username in ("system", "unknown") and username in users:
                continue
            with xf.element("User", OID=f"U.{_oid(username)}"), xf.element("LoginName"):
                xf.write(username)
        for site in sites:
            with xf.element("Location", OID=f"L.{_oid(site.code)}", Name=site.name):
                xf.write(etree.Element(
                    "MetaDataVersionRef", StudyOID=f"S.{_oid(site.study.code)}",
                    MetaDataVersionOID="MDV.1", EffectiveDate=site.study.created_at.date()
                    .isoformat()))


def _subjects_chunks(user, study, filters):
    subjects = get_dataset("subjects")
    rows = iter_rows(subjects, user, Filters(site=filters.site, study=study.code))
    record = subjects.names.index("record_id")
    chunk = []
    for row in rows:
        chunk.append((row[1], row[2], row[record]))
        if len(chunk) == SUBJECTS_PER_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text_rows(dataset, user, filters):
    """The dataset's rows with every value as XML-ready text ("" for missing).

    On PostgreSQL the rows come from ``COPY … (FORMAT csv)`` and are split by the csv module:
    no Python date, time or decimal object is made per value, which is most of the cost of a
    whole-study file. Elsewhere (and for derived datasets) the rows are read as usual.
    """
    if dataset.rows is None:
        queryset = dataset_queryset(dataset, user, filters)
        if connections[queryset.db].vendor == "postgresql":
            text = b"".join(copy_csv_chunks((), queryset)).decode()
            times = [i for i, v in enumerate(dataset.variables) if v.type == "datetime"]
            for row in csv.reader(io.StringIO(text)):
                for i in times:
                    if row[i]:
                        # 2026-03-01 08:00:00.5+00 → 2026-03-01T08:00:00.5+00:00
                        value = row[i].replace(" ", "T", 1)
                        row[i] = value + ":00" if value[-3] in "+-" else value
                yield row
            return
    for row in iter_rows(dataset, user, filters):
        yield ["" if v is None else _value(v) for v in row]


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _attr(text):
    return escape(_INVALID_XML.sub("", text), {'"': "&quot;"})


def _clinical(xf, user, study, datasets, filters, buffer):
    fixed = {v.code for v in study.protocol.schedule.visits} if study.protocol.schedule else set()
    visits = get_dataset("visits")
    v_index = {n: i for i, n in enumerate(visits.names)}
    derived = {}
    for d in datasets:
        if d.rows is not None:
            grouped = defaultdict(list)
            for row in _text_rows(d, user, Filters(site=filters.site, study=study.code)):
                grouped[row[2]].append(row)
            derived[d.name] = grouped
    # Per dataset: (column, ' ItemOID="…" Value="') of each item, written as text below.
    items = {d.name: [(i, f'<ItemData ItemOID="{item_oid(d, v)}" Value="')
                      for i, v in enumerate(d.variables) if v.name not in KEY_VARIABLES]
             for d in datasets}
    with xf.element("ClinicalData", StudyOID=f"S.{_oid(study.code)}", MetaDataVersionOID="MDV.1"):
        xf.flush()
        for chunk in _subjects_chunks(user, study, filters):
            chunk_filters = Filters(site=filters.site, study=study.code,
                                    patient_ids=tuple(pk for _, _, pk in chunk))
            events = defaultdict(dict)
            for row in _text_rows(visits, user, chunk_filters):
                events[row[2]][row[v_index["visit_code"]]] = _event_of(
                    row[v_index["kind"]], row[v_index["visit_code"]], fixed)
            data = {}
            for d in datasets:
                grouped = derived.get(d.name)
                if grouped is None:
                    grouped = defaultdict(list)
                    for row in _text_rows(d, user, chunk_filters):
                        grouped[row[2]].append(row)
                data[d.name] = grouped
            for site_code, subject_id, _ in chunk:
                # The subject's data are written as text straight into the output, between
                # the elements lxml writes (flushed above): the same markup, many times faster.
                buffer.write(_subject(subject_id, site_code, datasets, data, items,
                                      events[subject_id]).encode())
            yield buffer


def _subject(subject_id, site_code, datasets, data, items, events):
    # event (OID, repeat key) → form → rows, events in visit order then subject-level first.
    by_event = defaultdict(lambda: defaultdict(list))
    order = [(SUBJECT_EVENT, None), *events.values()]
    for d in datasets:
        visit_col = d.names.index("visit_code") if _visit_level(d) else None
        for row in data[d.name].get(subject_id, ()):
            event = (SUBJECT_EVENT, None)
            if visit_col is not None and row[visit_col]:
                event = events.get(row[visit_col], ("SE.UNSCHEDULED", row[visit_col]))
                if event not in order:
                    order.append(event)
            by_event[event][d].append(row)
    out = [f'<SubjectData SubjectKey="{_attr(subject_id)}">'
           f'<SiteRef LocationOID="L.{_oid(site_code)}"/>']
    for event in order:
        forms = by_event.get(event)
        if not forms:
            continue
        oid, key = event
        repeat = f' StudyEventRepeatKey="{_attr(key)}"' if key else ""
        out.append(f'<StudyEventData StudyEventOID="{oid}"{repeat}>')
        for d, rows in forms.items():
            form = _oid(d.odm_form)
            out.append(f'<FormData FormOID="F.{form}">')
            for n, row in enumerate(rows, 1):
                key_attr = f' ItemGroupRepeatKey="{n}"' if d.odm_repeating else ""
                out.append(f'<ItemGroupData ItemGroupOID="IG.{form}"{key_attr}>')
                out.extend(f'{start}{_attr(row[i])}"/>' for i, start in items[d.name] if row[i])
                out.append("</ItemGroupData>")
            out.append("</FormData>")
        out.append("</StudyEventData>")
    out.append("</SubjectData>")
    return "".join(out)


def _audit_records(xf, user, study, filters, buffer):
    trail = get_dataset("audit_trail")
    names = {n: i for i, n in enumerate(trail.names)}
    with xf.element("AuditRecords"):
        for n, row in enumerate(iter_rows(trail, user, Filters(site=filters.site,
                                                                study=study.code)), 1):
            with xf.element("AuditRecord", ID=f"AR.{_oid(study.code)}.{n}"):
                who = row[names["user"]] or "unknown"
                xf.write(etree.Element("UserRef", UserOID=f"U.{_oid(who)}"))
                xf.write(etree.Element("LocationRef",
                                       LocationOID=f"L.{_oid(row[names['site']])}"))
                with xf.element("DateTimeStamp"):
                    xf.write(_value(row[names["changed_at"]]))
                if row[names["reason"]]:
                    with xf.element("ReasonForChange"):
                        xf.write(row[names["reason"]])
                with xf.element("SourceID"):
                    xf.write(f"{row[names['table']]}:{row[names['record_id']]}:"
                             f"{row[names['action']]}:{row[names['subject_id']]}")
            if n % 2000 == 0:
                xf.flush()
                yield buffer


class _Drain(io.RawIOBase):
    """A write target that keeps what was written until ``take()``."""

    def __init__(self):
        self.parts = []

    def writable(self):
        return True

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def take(self):
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def odm_chunks(user, *, data_cut, filters=None, audit=False):
    """The ODM document as a stream of byte chunks."""
    filters = filters or Filters()
    datasets = odm_datasets()
    studies = list(studies_visible_to(user).order_by("code"))
    if filters.study:
        studies = [s for s in studies if s.code == filters.study]
    sites = list(sites_visible_to(user).filter(study__in=studies).select_related("study")
                 .order_by("code"))
    units = {}
    for d in datasets:
        for var in d.variables:
            if var.unit and var.name not in KEY_VARIABLES:
                units.setdefault(var.unit, f"MU.{len(units) + 1}")
    buffer = _Drain()
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("ODM", nsmap={None: ODM_NS}, FileType="Snapshot",
                        FileOID=f"trialsite.{data_cut:%Y%m%dT%H%M%S}", ODMVersion="1.3.2",
                        CreationDateTime=data_cut.isoformat(), AsOfDateTime=data_cut.isoformat(),
                        Granularity="All", SourceSystem="trialsite"):
            for study in studies:
                _study(xf, study, datasets, units)
            _admin(xf, studies, sites)
            xf.flush()
            yield buffer.take()
            for study in studies:
                for _ in _clinical(xf, user, study, datasets, filters, buffer):
                    yield buffer.take()
                if audit:
                    # ClinicalData ends before its AuditRecords can start: reopen per study.
                    with xf.element("ClinicalData", StudyOID=f"S.{_oid(study.code)}",
                                    MetaDataVersionOID="MDV.1"):
                        for _ in _audit_records(xf, user, study, filters, buffer):
                            yield buffer.take()
    yield buffer.take()
